"""Seats for visits that name none, and visits that name a seat someone else holds."""

import numpy as np
import pandas as pd

from core.data.placement import fixed_conflicts, place

HOUR = 3_600_000_000  # microseconds


def overlaps(seat: np.ndarray, start: np.ndarray, end: np.ndarray) -> int:
    frame = pd.DataFrame({"seat": seat, "start": start, "end": end}).sort_values(["seat", "start"])
    return int((frame.start < frame.groupby("seat").end.shift()).sum())


def test_visits_go_on_free_seats_and_new_seats_only_when_needed():
    requests = pd.DataFrame({"hall_id": [1, 1, 1, 1, 1, 2], "seat_id": 0,
                             "start": [0, HOUR // 2, HOUR, 3 * HOUR, 0, 0],
                             "end": [2 * HOUR, HOUR, 2 * HOUR, 4 * HOUR, HOUR, HOUR],
                             "holds": [True, True, True, True, False, True]})
    busy = pd.DataFrame({"seat_id": [10], "hall_id": [1], "start": [HOUR // 4], "end": [HOUR // 2 + 1]})
    seats = pd.DataFrame({"hall_id": [1, 1], "seat_id": [10, 11], "label": ["A", "Seat 3"]})
    placed = place(requests, busy, seats)
    # the first visit avoids seat 10 (booked at 0:15), the second needs a new seat, the third fits on 10
    assert placed.seat.tolist() == [11, -1, 10, 10, 10, -2]
    assert placed.new_seats.to_dict("records") == [{"hall_id": 1, "label": "Seat 4"}, {"hall_id": 2, "label": "Seat 1"}]


def test_packing_needs_no_more_seats_than_the_most_visits_at_once():
    rng = np.random.default_rng(0)
    start = rng.integers(0, 90 * 24 * HOUR, 5000)
    end = start + rng.integers(HOUR // 2, 6 * HOUR, 5000)
    requests = pd.DataFrame({"hall_id": 1, "seat_id": 0, "start": start, "end": end, "holds": True})
    empty = pd.DataFrame(columns=["seat_id", "hall_id", "start", "end"])
    placed = place(requests, empty, pd.DataFrame(columns=["hall_id", "seat_id", "label"]))
    assert overlaps(placed.seat, start, end) == 0
    events = np.concatenate([np.stack([start, np.ones(5000)], 1), np.stack([end, -np.ones(5000)], 1)])
    events = events[np.lexsort((events[:, 1], events[:, 0]))]
    assert len(placed.new_seats) == int(np.cumsum(events[:, 1]).max())


def test_a_named_seat_that_someone_holds_is_a_conflict():
    requests = pd.DataFrame({"seat_id": [10, 10, 11, 11], "start": [0, HOUR, 0, 5 * HOUR],
                             "end": [HOUR + 1, 2 * HOUR, HOUR, 6 * HOUR], "holds": [True, True, True, False]})
    busy = pd.DataFrame({"seat_id": [11], "start": [5 * HOUR], "end": [7 * HOUR]})
    # rows 0 and 1 overlap each other; row 3 is cancelled and holds nothing; touching is not overlapping
    assert fixed_conflicts(requests, busy).tolist() == [True, True, False, False]

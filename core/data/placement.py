"""Seats for imported visits, so the seat guard (migration 002) never has anything to reject.

A visit that names its seat keeps it; it is a bad row when it overlaps another visit of the file or
an existing booking on that seat (`fixed_conflicts`, whole columns at once). A visit without a seat
goes on a free seat of its hall (`place`): interval packing per hall, sweeping the visits in start
order with two heaps, the seats busy until some moment and the idle seats ordered by when their next
fixed booking starts. A visit takes the idle seat that stays free the longest, when that is long
enough, and otherwise a new seat, so the hall gets only as many seats as the overlaps need.
Cancelled visits hold no seat: they go on the hall's first seat. Touching visits (one ends as the
next starts) do not overlap, as for the guard.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import pandas as pd

NEVER = np.iinfo(np.int64).max
SEAT_PREFIX = "Seat "


@dataclass(frozen=True)
class Placement:
    """Per request a seat: an existing seat id (> 0) or -k for the k-th new seat (1-based) of `new_seats`."""

    seat: np.ndarray
    new_seats: pd.DataFrame  # hall_id, label, in token order


def fixed_conflicts(requests: pd.DataFrame, busy: pd.DataFrame) -> pd.Series:
    """Which requests that name a seat overlap another interval on that seat (another request or a
    booking in `busy`). requests: seat_id, start, end (int64 microseconds), holds; busy: seat_id, start, end."""
    fixed = requests[(requests.seat_id > 0) & requests.holds]
    if fixed.empty:
        return pd.Series(False, index=requests.index)
    both = pd.concat([fixed[["seat_id", "start", "end"]].assign(request=fixed.index.to_numpy()),
                      busy[["seat_id", "start", "end"]].assign(request=-1)], ignore_index=True)
    both = both.sort_values(["seat_id", "start", "end"], kind="stable")
    same_prev = both.seat_id.eq(both.seat_id.shift())
    previous_end = both.groupby("seat_id", sort=False)["end"].cummax().shift().where(same_prev)
    same_next = both.seat_id.eq(both.seat_id.shift(-1))
    next_start = both.start.shift(-1).where(same_next)
    clash = (both.start < previous_end) | (next_start < both.end)
    bad = both[clash & (both.request >= 0)].request
    return pd.Series(requests.index.isin(bad), index=requests.index)


def place(requests: pd.DataFrame, busy: pd.DataFrame, seats: pd.DataFrame) -> Placement:
    """Seats for every request.

    requests: hall_id, seat_id (> 0 when named, else 0), start, end (int64 microseconds), holds (bool)
    busy:     seat_id, hall_id, start, end — existing bookings that hold a seat (near the requests' times)
    seats:    hall_id, seat_id, label — the halls' active seats, in the order to fill them
    """
    out = requests.seat_id.to_numpy(dtype=np.int64).copy()
    new_rows: list[tuple[int, str]] = []
    floating = requests[requests.seat_id <= 0]
    for hall_id, group in floating.groupby("hall_id", sort=True):
        hall_seats = seats[seats.hall_id == hall_id]
        ids = [int(s) for s in hall_seats.seat_id]
        labels = set(hall_seats.label.astype(str))
        fixed = pd.concat([busy.loc[busy.hall_id == hall_id, ["seat_id", "start", "end"]],
                           requests.loc[(requests.hall_id == hall_id) & (requests.seat_id > 0) & requests.holds,
                                        ["seat_id", "start", "end"]]], ignore_index=True)
        holding = group[group.holds]
        made: list[int] = []  # tokens of this hall's new seats
        assigned = _sweep(holding.start.to_numpy(np.int64), holding.end.to_numpy(np.int64), ids, fixed, made)

        added = [0]

        def new_seat() -> int:
            added[0] += 1
            number = len(ids) + added[0]
            while f"{SEAT_PREFIX}{number}" in labels:
                number += 1
            added[0] = number - len(ids)
            labels.add(f"{SEAT_PREFIX}{number}")
            new_rows.append((int(hall_id), f"{SEAT_PREFIX}{number}"))
            return -len(new_rows)

        tokens = {k: new_seat() for k in made}
        out[requests.index.get_indexer(holding.index)] = [tokens.get(s, s) if s < 0 else s for s in assigned]
        idle = group[~group.holds]
        if len(idle):
            first = ids[0] if ids else (tokens[made[0]] if made else new_seat())
            out[requests.index.get_indexer(idle.index)] = first
    return Placement(seat=out, new_seats=pd.DataFrame(new_rows, columns=["hall_id", "label"]))


def _sweep(starts: np.ndarray, ends: np.ndarray, seat_ids: list[int], fixed: pd.DataFrame,
           made: list[int]) -> list[int]:
    """Seat per interval (existing id, or a negative token -1, -2 … for seats to add, listed in `made`)."""
    order = np.argsort(starts, kind="stable")
    fixed = fixed.sort_values(["start", "end"], kind="stable")
    f_seat = fixed.seat_id.to_numpy(np.int64)
    f_start = fixed.start.to_numpy(np.int64)
    f_end = fixed.end.to_numpy(np.int64)
    per_seat: dict[int, list[int]] = {}
    for s, t in zip(f_seat.tolist(), f_start.tolist()):
        per_seat.setdefault(s, []).append(t)
    next_i = {s: 0 for s in per_seat}
    busy_until: dict[int, int] = {}
    version: dict[int, int] = {}
    rank = {s: i for i, s in enumerate(seat_ids)}

    def next_fixed(seat: int) -> int:
        starts_of = per_seat.get(seat)
        i = next_i.get(seat, 0)
        return starts_of[i] if starts_of and i < len(starts_of) else NEVER

    idle = [(-next_fixed(s), rank[s], s, 0) for s in seat_ids]
    heapq.heapify(idle)
    busy: list[tuple[int, int]] = []
    out = [0] * len(starts)
    fi, nf = 0, len(f_start)
    for i in order.tolist():
        s, e = int(starts[i]), int(ends[i])
        while fi < nf and f_start[fi] <= s:  # fixed bookings that have started by now
            seat = int(f_seat[fi])
            next_i[seat] = next_i.get(seat, 0) + 1
            busy_until[seat] = max(busy_until.get(seat, 0), int(f_end[fi]))
            version[seat] = version.get(seat, 0) + 1
            heapq.heappush(busy, (busy_until[seat], seat))
            fi += 1
        while busy and busy[0][0] <= s:
            end, seat = heapq.heappop(busy)
            if busy_until.get(seat) == end:
                heapq.heappush(idle, (-next_fixed(seat), rank.get(seat, len(rank)), seat, version.get(seat, 0)))
        chosen = None
        while idle:
            key, r, seat, ver = idle[0]
            if ver != version.get(seat, 0) or busy_until.get(seat, 0) > s:
                heapq.heappop(idle)  # stale
                continue
            if -key >= e:
                heapq.heappop(idle)
                chosen = seat
            break
        if chosen is None:
            chosen = -(len(made) + 1)
            made.append(chosen)
            rank[chosen] = len(rank)
        busy_until[chosen] = e
        version[chosen] = version.get(chosen, 0) + 1
        heapq.heappush(busy, (e, chosen))
        out[i] = chosen
    return out

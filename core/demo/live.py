"""Keep the demo chain alive: bookings and payments arrive at the rate the hour usually brings, and
customers contacted by a retention campaign come back with a true uplift (`core.demo.campaigns`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform import metrics
from core.platform.db import execute, load_sql, query_df
from core.demo.campaigns import DEFAULT_UPLIFT, CampaignResponses
from core.demo.simulate import BAND_FACTOR, METHOD_SHARE, METHODS
from core.demo.names import make_people

REFRESH_EVERY = timedelta(hours=1)
NEW_CUSTOMER_SHARE = 0.05
QUIET_HOUR_RATE = 4.0  # bookings per hour, at least, while a club is open


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class LiveFeed:
    """Inserts bookings every `interval` seconds; `speedup` multiplies the usual rate (for tests).

    `clock` gives the moment each tick simulates (the wall clock unless a test passes its own);
    `ticks` and `inserted` count what `run` has done so far. `campaign_uplift` is the true chance that a
    customer contacted by a running campaign makes one extra visit in its window (0: campaigns do nothing).
    """

    engine: Engine
    interval: float = 5.0
    speedup: float = 1.0
    seed: int | None = None
    clock: Callable[[], datetime] = _utc_now
    campaign_uplift: float = DEFAULT_UPLIFT
    inserted: int = 0
    ticks: int = 0
    _rng: np.random.Generator = field(init=False)
    _loaded_at: datetime | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)
        self._campaigns = CampaignResponses(self.engine, self.campaign_uplift, self._rng)

    def _refresh(self, now: datetime) -> None:
        self.rates = query_df(self.engine, "demo/live_hourly_rates")
        self.halls = query_df(self.engine, "demo/live_hall_mix")
        self.regulars = query_df(self.engine, "demo/live_regulars")
        execute(self.engine, "platform/audit_partitions_now")
        self._loaded_at = now

    def tick(self, now: datetime | None = None) -> int:
        """One step: finish bookings that ended, then add the arrivals of the last `interval` seconds."""
        now = now or self.clock()
        if self._loaded_at is None or now - self._loaded_at > REFRESH_EVERY:
            self._refresh(now)
        execute(self.engine, "demo/live_finish_bookings", now=now)
        added = 0
        for club in self.rates.itertuples():
            local = now.astimezone(ZoneInfo(club.timezone))
            rate = club.per_hour[local.weekday() * 24 + local.hour] if club.per_hour else 0.0
            rate = max(rate, QUIET_HOUR_RATE) if rate > 0 else 0.0  # an open club is never silent
            for _ in range(self._rng.poisson(rate * self.speedup * self.interval / 3600)):
                added += bool(self._book(club.club_id, local, now))
        for campaign_id, user_id, club_id in self._campaigns.due(now):
            local = now.astimezone(ZoneInfo(self._timezone(club_id)))
            booked = self._book(club_id, local, now, user_id=user_id)
            if booked:
                self._campaigns.booked(campaign_id, user_id, booked)
                added += 1
        self.inserted += added
        return added

    def _timezone(self, club_id: int) -> str:
        match = self.rates[self.rates.club_id == club_id]
        return str(match.timezone.iloc[0]) if len(match) else "UTC"

    def _book(self, club_id: int, local: datetime, now: datetime, user_id: int | None = None) -> int:
        """Book a seat at the club now (for `user_id`, else a regular or a new customer); returns the
        booking's id, or 0 when no seat was free."""
        rng = self._rng
        halls = self.halls[self.halls.club_id == club_id]
        if halls.empty:
            return 0
        hall = halls.iloc[rng.choice(len(halls), p=(halls.share / halls.share.sum()).to_numpy())]
        hours = int(np.clip(round(rng.gamma(3.0, 2.7 / 3.0)), 1, 6))
        price = round(float(hall.hourly_price) * hours * BAND_FACTOR[local.hour] / 10) * 10
        with self.engine.begin() as conn:
            if user_id is None:
                user_id = self._customer(conn, club_id)
            row = conn.execute(sa.text(load_sql("demo/live_insert_booking")), {
                "user_id": user_id, "hall_id": int(hall.hall_id), "start_time": now,
                "end_time": now + timedelta(hours=hours), "price": price,
                "method": str(METHODS[rng.choice(4, p=METHOD_SHARE)]),
            }).first()
        return 0 if row is None else int(row.booking_id)

    def _customer(self, conn: sa.Connection, club_id: int) -> int:
        regulars = self.regulars[self.regulars.club_id == club_id]
        if regulars.empty or self._rng.random() < NEW_CUSTOMER_SHARE:
            names, emails, phones = make_people(1, self._rng)
            email = emails[0].replace("@", f".{int(time.time() * 1000) % 10**9}@")
            return conn.execute(sa.text(load_sql("demo/live_new_customer")),
                                {"full_name": names[0], "email": email, "phone": phones[0]}).scalar_one()
        weights = regulars.visits.to_numpy(float)
        return int(regulars.user_id.iloc[self._rng.choice(len(regulars), p=weights / weights.sum())])

    def run(self, stop: threading.Event | None = None, max_ticks: int | None = None) -> None:
        """Tick every `interval` seconds until `stop` is set or `max_ticks` ticks have run."""
        stop = stop or threading.Event()
        ticks = 0
        while not stop.is_set() and (max_ticks is None or ticks < max_ticks):
            started = time.monotonic()
            try:
                self.tick()
                metrics.count(metrics.LIVE_FEED, "ok")
            except sa.exc.OperationalError as exc:
                metrics.count(metrics.LIVE_FEED, "failed")
                print(f"live feed: database unavailable, retrying ({str(exc.orig).strip()[:120]})", flush=True)
            ticks += 1
            self.ticks += 1
            stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

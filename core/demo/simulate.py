"""Simulate customers' visits to the chain.

Each customer has an unseen visit rate, lifetime, preferred club, hall type,
hours and session length. Visits follow the weekly and yearly rhythm of the
city; seats are then assigned so that no seat is ever double-booked. The
30 days after the data's end are simulated too and kept as hidden truth.
"""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd

from core.platform.calendar import public_holidays, school_break_days
from core.demo.chain import HALL_TYPE_ORDER, Chain, make_chain
from core.demo.names import make_people
from core.demo.sizes import DemoSize

FUTURE_DAYS = 30
PRE_WINDOW_DAYS = 540
PERSONAS = ["student", "worker", "night_owl", "weekend"]
PERSONA_SHARE = [0.30, 0.45, 0.13, 0.12]
PERSONA_HOUR = np.array([16.5, 20.0, 23.0, 15.0])     # preferred start hour
PERSONA_HOURS = np.array([2.3, 2.8, 3.2, 3.6])        # mean session length, hours
HALL_SHARE = [0.55, 0.15, 0.12, 0.18]                 # standard, vip, bootcamp, console
DOW_FACTOR = np.array([0.85, 0.85, 0.9, 0.95, 1.15, 1.4, 1.3])
MONTH_FACTOR = np.array([1.1, 1.0, 0.95, 0.95, 0.9, 0.95, 1.0, 1.0, 0.88, 0.95, 1.0, 1.1])
METHODS = np.array(["kaspi_qr", "card", "cash", "bonus"])
METHOD_SHARE = [0.45, 0.33, 0.17, 0.05]
BAND_FACTOR = {h: (0.8 if h >= 23 or h < 8 else 0.7 if h < 12 else 0.85 if h < 17 else 1.0) for h in range(24)}
BAND_ARRAY = np.array([BAND_FACTOR[h] for h in range(24)])
PRICE_ELASTICITY = 0.8  # the demo's true price elasticity of demand (as a positive number)
PRICE_FLOOR = 0.7 * 0.85  # the cheapest band in the cheapest city: accepted with certainty
# lifetimes from sign-up: a share leave within days (exponential), the rest live lognormally
SHORT_LIVED_SHARE = 0.2
SHORT_LIFE_DAYS = 12.0
LIFE_MEDIAN_DAYS = 160.0
LIFE_SIGMA = 1.0


@dataclass
class DemoData:
    clubs: pd.DataFrame
    halls: pd.DataFrame
    seats: pd.DataFrame
    users: pd.DataFrame
    bookings: pd.DataFrame
    payments: pd.DataFrame
    audit_logs: pd.DataFrame
    truth: pd.DataFrame
    data_end: datetime
    first_day: date
    size_name: str
    seed: int

    def row_counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in
                ("clubs", "halls", "seats", "users", "bookings", "payments", "audit_logs", "truth")}


def default_end() -> datetime:
    return datetime.now(timezone.utc).replace(second=0, microsecond=0)


def day_factors(first_day: date, n_days: int) -> np.ndarray:
    """Demand multiplier for each day and persona, shape (n_days, 4)."""
    days = pd.date_range(first_day, periods=n_days, freq="D")
    last = days[-1].date()
    holidays = np.isin(days.date, public_holidays(first_day, last))
    breaks = np.isin(days.date, school_break_days(first_day, last))
    dow = days.day_of_week.to_numpy()
    base = DOW_FACTOR[dow] * MONTH_FACTOR[days.month.to_numpy() - 1] * np.where(holidays, 1.35, 1.0)
    weekend = dow >= 5
    return np.column_stack([
        base * np.where(breaks, 1.5, 1.0),                   # students
        base * np.where(breaks, 1.05, 1.0),                  # workers
        base,                                                # night owls
        base * np.where(weekend | holidays, 2.0, 0.45),      # weekend gamers
    ])


def _sample_days(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    cdf = np.cumsum(weights) / weights.sum()
    return np.searchsorted(cdf, rng.random(n))


def _home_clubs(signup_day: np.ndarray, chain: Chain, first_day: date, rng: np.random.Generator) -> np.ndarray:
    """Each customer's home club: one open at sign-up, new clubs drawing more in their first months."""
    opened = np.array([(d - first_day).days for d in chain.clubs["opened_on"]])
    weight = chain.clubs["weight"].to_numpy()
    age = signup_day[:, None] - opened[None, :]
    w = np.where(age >= 0, weight[None, :] * np.where(age < 90, 3.0, 1.0), 0.0)
    w[w.sum(axis=1) == 0, int(np.argmin(opened))] = 1.0
    cdf = np.cumsum(w, axis=1)
    pick = (rng.random(len(signup_day))[:, None] * cdf[:, -1:]) < cdf
    return pick.argmax(axis=1)


def simulate(size: DemoSize, seed: int, end: datetime | None = None) -> DemoData:
    rng = np.random.default_rng(seed)
    end = (end or default_end()).astimezone(timezone.utc).replace(second=0, microsecond=0)
    end_local_day = pd.Timestamp(end).tz_convert("Asia/Almaty").date()
    D = size.days
    first_day = end_local_day - timedelta(days=D - 1)
    chain = make_chain(size.clubs, first_day, D, rng)
    factors = day_factors(first_day, D + FUTURE_DAYS + 2)

    # --- customers -------------------------------------------------------
    n = size.customers
    persona = rng.choice(4, n, p=PERSONA_SHARE)
    # sign-ups run through the 18 months before the window too, so the chain has regulars on day one
    base = rng.random(n) < PRE_WINDOW_DAYS / (PRE_WINDOW_DAYS + D)
    growth = 1.0 + 0.5 * np.arange(D) / D
    signup = np.where(base, -rng.uniform(1, PRE_WINDOW_DAYS, n), _sample_days(growth, n, rng) + rng.random(n))
    home = _home_clubs(np.floor(np.maximum(signup, 0)).astype(int), chain, first_day, rng)
    hall_pref = rng.choice(4, n, p=HALL_SHARE)
    short_lived = rng.random(n) < SHORT_LIVED_SHARE
    lifetime = np.where(short_lived, rng.exponential(SHORT_LIFE_DAYS, n),
                        rng.lognormal(np.log(LIFE_MEDIAN_DAYS), LIFE_SIGMA, n))
    churn = signup + lifetime
    rate = np.minimum(rng.gamma(0.75, 1.0, n) + 0.05, 10.0)          # visits per week, unscaled
    hour_offset = rng.normal(0, 1.2, n)
    session_hours = PERSONA_HOURS[persona] * rng.lognormal(0, 0.25, n)
    night_taste = np.where(persona == 2, 0.55, 0.03)

    # scale rates so the window holds about the target number of bookings
    cum = np.vstack([np.zeros((1, 4)), np.cumsum(factors, axis=0)])
    a = np.clip(signup, 0, D).astype(int)
    b = np.clip(churn, 0, D).astype(int)
    expected = rate / 7 * (cum[b, persona] - cum[a, persona])
    rate *= size.target_bookings * 1.75 / expected.sum()

    # --- candidate visits (thinned Poisson process per customer) -----------
    horizon = D + FUTURE_DAYS
    start = np.clip(signup, 0, horizon)
    stop = np.clip(churn, 0, horizon)
    fmax = factors.max(axis=0)[persona]
    counts = rng.poisson(rate / 7 * fmax * (stop - start))
    cust = np.repeat(np.arange(n), counts)
    t = np.repeat(start, counts) + rng.random(len(cust)) * np.repeat(stop - start, counts)
    day = t.astype(int)
    keep = rng.random(len(cust)) * fmax[persona[cust]] < factors[day, persona[cust]]
    cust, day = cust[keep], day[keep]
    v = len(cust)

    # time of day, package and length
    p = persona[cust]
    dow = (pd.Timestamp(first_day).day_of_week + day) % 7
    weekend_shift = np.where((dow >= 5) & (p <= 1), -2.0, 0.0)
    hour = PERSONA_HOUR[p] + hour_offset[cust] + weekend_shift + rng.normal(0, 1.8, v)
    start_min = day * 1440 + np.round(hour * 12) * 5                 # local minutes since first_day
    local_hour = (start_min // 60 % 24).astype(int)

    club = home[cust].copy()
    roam = rng.random(v) < 0.1
    club[roam] = rng.integers(0, len(chain.clubs), roam.sum())
    all_day = (chain.clubs["opens_at"] == chain.clubs["closes_at"]).to_numpy()[club]

    night = all_day & (local_hour >= 21) & (rng.random(v) < night_taste[cust])
    u = rng.random(v)
    package = np.where(night, "night", np.where(u < 0.10, "bundle_3h", np.where(u < 0.15, "bundle_5h", "hourly")))
    hours = np.clip(np.round(rng.gamma(3.0, session_hours[cust] / 3.0)), 1, 8)
    hours = np.where(package == "bundle_3h", 3, np.where(package == "bundle_5h", 5, hours))
    night_start = (start_min // 1440) * 1440 + 22 * 60 + rng.integers(0, 4, v) * 30
    start_min = np.where(night, night_start, start_min)
    end_min = np.where(night, (start_min // 1440 + 1) * 1440 + 8 * 60, start_min + hours * 60)

    # clubs that are not open all day: 10:00 to 04:00
    h = (start_min // 60 % 24).astype(int)
    closed = ~all_day & (h >= 4) & (h < 10)
    closing = np.where(h >= 10, (start_min // 1440 + 1) * 1440 + 4 * 60, (start_min // 1440) * 1440 + 4 * 60)
    end_min = np.where(all_day, end_min, np.minimum(end_min, closing))
    opened_day = np.array([(d - first_day).days for d in chain.clubs["opened_on"]])[club]
    ok = ~closed & (end_min - start_min >= 60) & (start_min >= 0) & (start_min // 1440 >= opened_day)
    ok &= start_min < horizon * 1440
    # demand answers price: a dearer time band (and a dearer city) turns some visits away
    price = BAND_ARRAY[h] * chain.clubs["price_level"].to_numpy()[club]
    ok &= rng.random(v) < (price / PRICE_FLOOR) ** -PRICE_ELASTICITY

    # hall: the preferred type when the club has it, otherwise standard
    halls = chain.halls
    hall_lookup = np.zeros((len(chain.clubs), 4), dtype=int)
    for row in halls.itertuples():
        hall_lookup[row.club_id - 1, HALL_TYPE_ORDER.index(row.hall_type)] = row.id
    hall = hall_lookup[club, hall_pref[cust]]
    hall = np.where(hall == 0, hall_lookup[club, 0], hall)

    sel = np.flatnonzero(ok)
    visits = pd.DataFrame({
        "cust": cust[sel], "club": club[sel], "hall": hall[sel], "package": package[sel],
        "start_min": start_min[sel], "end_min": end_min[sel],
    })
    visits = _to_utc(visits, chain, first_day)
    visits["price"] = _prices(visits, halls)

    future = visits[(visits.start_time > end) & (visits.start_time <= end + timedelta(days=FUTURE_DAYS))]
    truth = _truth(visits, future, n, signup, churn, rate, first_day)

    # lead time: walk-ins and bookings made ahead
    ahead = rng.random(len(visits)) < 0.3
    lead = np.where(ahead, rng.exponential(8 * 3600, len(visits)) + 3600, rng.uniform(0, 600, len(visits)))
    visits["created_at"] = visits.start_time - pd.to_timedelta(lead.round(), unit="s")
    visits["ahead"] = ahead
    loaded = visits[visits.created_at <= end]
    loaded = loaded.sort_values(["hall", "start_time"], kind="stable").reset_index(drop=True)
    loaded["seat_id"] = _assign_seats(loaded, chain.seats)
    loaded = loaded[loaded.seat_id > 0].sort_values("created_at", kind="stable").reset_index(drop=True)

    bookings, payments, audit = _outcomes(loaded, end, rng)
    names, emails, phones = make_people(n, rng)
    users = pd.DataFrame({
        "id": np.arange(1, n + 1), "full_name": names, "email": emails, "phone": phones,
        "signed_up_at": _day_to_utc(first_day, signup),
    })
    clubs = chain.clubs.drop(columns=["price_level", "weight"])
    return DemoData(clubs, halls, chain.seats, users, bookings, payments, audit, truth, end, first_day,
                    size.name, seed)


def _day_to_utc(first_day: date, days: np.ndarray) -> pd.Series:
    base = pd.Timestamp(first_day).tz_localize("Asia/Almaty")
    return (base + pd.to_timedelta(np.round(days * 86400), unit="s")).tz_convert("UTC").floor("s")


def _to_utc(visits: pd.DataFrame, chain: Chain, first_day: date) -> pd.DataFrame:
    """Local minutes -> timestamptz, in each club's own time zone."""
    base = np.datetime64(first_day, "ns")
    out_start = np.empty(len(visits), dtype="datetime64[ns]")
    out_end = np.empty(len(visits), dtype="datetime64[ns]")
    tz_of_club = chain.clubs["timezone"].to_numpy()
    for tz in np.unique(tz_of_club):
        clubs = np.flatnonzero(tz_of_club == tz)
        m = np.isin(visits["club"].to_numpy(), clubs)
        for col, out in (("start_min", out_start), ("end_min", out_end)):
            local = pd.DatetimeIndex(base + visits.loc[m, col].to_numpy().astype("int64") * np.timedelta64(1, "m"))
            out[m] = local.tz_localize(tz, nonexistent="shift_forward", ambiguous=False).tz_convert("UTC").tz_localize(None)
    visits["start_time"] = pd.DatetimeIndex(out_start).tz_localize("UTC")
    visits["end_time"] = pd.DatetimeIndex(out_end).tz_localize("UTC")
    visits["date"] = (pd.Timestamp(first_day) + pd.to_timedelta(visits["start_min"] // 1440, unit="D")).dt.date
    visits["local_hour"] = (visits["start_min"] // 60 % 24).astype(int)
    return visits


def _prices(visits: pd.DataFrame, halls: pd.DataFrame) -> np.ndarray:
    hall = halls.set_index("id")
    hourly = hall.loc[visits["hall"], "hourly_price"].to_numpy(float)
    night = hall.loc[visits["hall"], "night_package_price"].to_numpy(float)
    hours = (visits["end_min"] - visits["start_min"]).to_numpy() / 60
    band = BAND_ARRAY[visits["local_hour"].to_numpy()]
    pkg = visits["package"].to_numpy()
    price = hourly * hours * band
    price = np.where(pkg == "bundle_3h", hourly * 3 * 0.9, price)
    price = np.where(pkg == "bundle_5h", hourly * 5 * 0.85, price)
    price = np.where(pkg == "night", night, price)
    return np.round(price / 10) * 10


def _truth(visits: pd.DataFrame, future: pd.DataFrame, n: int, signup, churn, rate, first_day: date) -> pd.DataFrame:
    count = np.bincount(future["cust"], minlength=n)
    spend = np.bincount(future["cust"], weights=future["price"], minlength=n)
    # a visit drawn on the last active day may start after the churn moment: churn is after it
    last = visits.groupby("cust")["start_time"].max().reindex(np.arange(n)).reset_index(drop=True)
    moment = pd.Series(_day_to_utc(first_day, churn))
    churned_at = moment.where(last.isna() | (moment >= last), last)
    return pd.DataFrame({
        "user_id": np.arange(1, n + 1), "visits_next_30d": count, "spend_next_30d": spend.round(2),
        "churned_at": churned_at, "true_visit_rate": rate.round(4),
    })



def _assign_seats(visits: pd.DataFrame, seats: pd.DataFrame) -> np.ndarray:
    """Give each visit a free seat in its hall, front seats first; 0 when the hall is full."""
    seats_of = seats.groupby("hall_id")["id"].apply(list).to_dict()
    starts = visits["start_time"].dt.tz_localize(None).to_numpy().astype("int64").tolist()
    ends = visits["end_time"].dt.tz_localize(None).to_numpy().astype("int64").tolist()
    halls = visits["hall"].to_numpy().tolist()
    out = [0] * len(visits)
    current, free, busy = None, [], []
    for i, (hall, s, e) in enumerate(zip(halls, starts, ends)):
        if hall != current:
            current = hall
            free = list(enumerate(seats_of[hall]))
            heapq.heapify(free)
            busy = []
        while busy and busy[0][0] <= s:
            _, rank, seat = heapq.heappop(busy)
            heapq.heappush(free, (rank, seat))
        if free:
            rank, seat = heapq.heappop(free)
            heapq.heappush(busy, (e, rank, seat))
            out[i] = seat
    return np.array(out, dtype=np.int64)


def _outcomes(v: pd.DataFrame, end: datetime, rng: np.random.Generator):
    """Statuses, payments and audit rows for the loaded bookings."""
    n = len(v)
    end_ts = pd.Timestamp(end)
    ids = np.arange(1, n + 1)
    cancel = rng.random(n) < np.where(v["ahead"], 0.12, 0.01)
    cancel_at = v.created_at + (v.start_time - v.created_at) * rng.random(n)
    cancelled = cancel & (cancel_at <= end_ts)
    finished = (v.end_time <= end_ts).to_numpy()
    no_show = ~cancelled & finished & v["ahead"].to_numpy() & (rng.random(n) < 0.06)
    status = np.where(cancelled, "отменено", np.where(no_show, "неявка", np.where(finished, "завершено", "активно")))
    bookings = pd.DataFrame({
        "id": ids, "user_id": v.cust + 1, "seat_id": v.seat_id, "date": v.date,
        "start_time": v.start_time, "end_time": v.end_time, "status": status,
        "package": v.package, "price": v.price, "created_at": v.created_at.dt.floor("s"),
    })

    # one payment per booking, paid when booked; prepaid cancellations are refunded
    prepaid_cancel = cancelled & (rng.random(n) < 0.6)
    paid = ~cancelled | prepaid_cancel
    refund_done = ~cancelled & finished & (rng.random(n) < 0.007)
    pay_status = np.where(prepaid_cancel | refund_done, "возврат", "успешно")[paid]
    pb = ids[paid]
    paid_at = (v.created_at + pd.to_timedelta(rng.integers(0, 120, n), unit="s"))[paid].to_numpy()
    method = METHODS[rng.choice(4, paid.sum(), p=METHOD_SHARE)]
    payments = pd.DataFrame({"booking_id": pb, "amount": v.price.to_numpy()[paid], "paid_at": paid_at,
                             "payment_status": pay_status, "method": method})
    failed = rng.random(len(payments)) < 0.03
    retries = payments[failed].assign(payment_status="ошибка", paid_at=payments.paid_at[failed] - pd.Timedelta(minutes=1))
    payments = pd.concat([retries, payments]).sort_values(["paid_at", "booking_id"], kind="stable")
    payments.insert(0, "id", np.arange(1, len(payments) + 1))
    payments["paid_at"] = pd.to_datetime(payments["paid_at"], utc=True).dt.floor("s")

    # audit rows for the changes: cancellations, no-shows and refunds
    changes = [
        ("bookings", ids[cancelled], cancel_at[cancelled], "отменено", "status"),
        ("bookings", ids[no_show], v.end_time[no_show], "неявка", "status"),
    ]
    refunded = payments[payments.payment_status == "возврат"]
    when = (v.end_time + pd.Timedelta(hours=1)).where(~cancelled, cancel_at)
    refund_time = when.to_numpy()[refunded.booking_id.to_numpy() - 1]
    changes.append(("payments", refunded.id.to_numpy(), refund_time, "возврат", "payment_status"))
    frames = []
    for table, record, at, new, field in changes:
        old = "успешно" if field == "payment_status" else "активно"
        frames.append(pd.DataFrame({
            "table_name": table, "record_id": record, "action": "UPDATE",
            "old_values": json.dumps({field: old}, ensure_ascii=False),
            "new_values": json.dumps({field: new}, ensure_ascii=False),
            "created_at": pd.to_datetime(np.asarray(at), utc=True),
        }))
    audit = pd.concat(frames, ignore_index=True)
    audit = audit[audit.created_at <= end_ts].sort_values("created_at", kind="stable").reset_index(drop=True)
    audit.insert(0, "id", np.arange(1, len(audit) + 1))
    audit["created_at"] = audit["created_at"].dt.floor("s")
    return bookings, payments, audit

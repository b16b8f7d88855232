-- Live KPIs of every club: today so far (weeks_ago = 0) and the same weekday 1-4 weeks ago, each cut
-- at the same club-local time of day, so "by now" values compare like with like. One row per club
-- and week. Days, hours and opening hours are club-local. :silent_hours sizes the "recent bookings"
-- window used to spot a club that has gone quiet. "Now" is data_as_of(). Only the clubs in :club_ids
-- (an empty list returns nothing).
with

club as (
    select
        c.id as club_id,
        c.name as club_name,
        c.timezone,
        n.at,
        (n.at at time zone c.timezone) as local_now,
        cs.seats
    from clubs c
    join club_seats cs on cs.club_id = c.id
    cross join (select data_as_of() as at) n
    where c.id = any(cast(:club_ids as int[]))
),

moment as (  -- today and the same weekday 1-4 weeks ago, cut at the same local time
    select
        cl.*,
        w.weeks_ago,
        cl.at - w.weeks_ago * interval '7 days' as cut_ts,
        cl.local_now::date - 7 * w.weeks_ago as day,
        (cl.local_now::date - 7 * w.weeks_ago)::timestamp at time zone cl.timezone as day_start,
        (cl.local_now::date - 7 * w.weeks_ago + 1)::timestamp at time zone cl.timezone as day_end,
        cl.local_now - w.weeks_ago * interval '7 days' as local_cut
    from club cl
    cross join generate_series(0, 4) as w(weeks_ago)
),

open_hours as (  -- open hours of each moment's day: all of it, and the part elapsed by the cut
    select
        m.club_id,
        m.weeks_ago,
        sum(1.0) as full_day,
        sum(least(1.0, greatest(0.0,
            extract(epoch from m.local_cut - (m.day + make_interval(hours => oh.hour))) / 3600.0))) as by_now,
        bool_or(extract(hour from m.local_cut) = oh.hour) as open_now
    from moment m
    join club_open_hours oh on oh.club_id = m.club_id and oh.is_open
    group by m.club_id, m.weeks_ago
),

week_windows as (  -- per week back, the start times any club's moment can need: at most 4 days plus the
                   -- spread of the clubs' time zones (26 h), so the weeks never overlap
    select weeks_ago, min(day_start) - interval '1 day' as lo, max(cut_ts) + interval '2 days' as hi
    from moment
    group by weeks_ago
),

recent_bookings as (  -- bookings near the five moments (an index range on start_time per week)
    select b.club_id, b.booking_id as id, b.timezone, b.date, b.start_time, b.end_time, b.status, b.created_at
    from week_windows w
    cross join lateral (
        select * from club_bookings cb
        where cb.start_time >= w.lo and cb.start_time < w.hi and cb.club_id = any(cast(:club_ids as int[]))
        offset 0  -- planned per week with its bounds known (else one club's plan reads all its bookings)
    ) b
),

booking_stats as (
    select
        m.club_id,
        m.weeks_ago,
        count(*) filter (where b.date = m.day and b.status <> 'отменено' and b.created_at <= m.cut_ts)
            as bookings_by_now,
        count(*) filter (where b.date = m.day and b.status <> 'отменено') as bookings_full_day,
        count(*) filter (where b.status not in ('отменено', 'неявка')
                           and b.start_time <= m.cut_ts and b.end_time > m.cut_ts) as occupied,
        coalesce(sum(extract(epoch from least(b.end_time, m.cut_ts) - greatest(b.start_time, m.day_start)) / 3600.0)
            filter (where b.status <> 'отменено' and b.start_time < m.cut_ts and b.end_time > m.day_start), 0)
            as seat_hours_by_now,
        coalesce(sum(extract(epoch from least(b.end_time, m.day_end) - greatest(b.start_time, m.day_start)) / 3600.0)
            filter (where b.status <> 'отменено' and b.start_time < m.day_end and b.end_time > m.day_start), 0)
            as seat_hours_full_day,
        count(*) filter (where b.created_at > m.cut_ts - make_interval(hours => cast(:silent_hours as integer))
                           and b.created_at <= m.cut_ts) as bookings_recent,
        max(b.created_at) filter (where b.created_at <= m.cut_ts) as last_booking_at
    from moment m
    left join recent_bookings b
           on b.club_id = m.club_id
          and b.start_time >= m.day_start - interval '1 day'
          and b.start_time < m.cut_ts + interval '2 days'
    group by m.club_id, m.weeks_ago
),

revenue_stats as (  -- successful payments of the day's bookings: by the cut, and all of them
    select
        m.club_id,
        m.weeks_ago,
        coalesce(sum(p.amount) filter (where club_instant(p.paid_at, b.timezone) <= m.cut_ts), 0) as revenue_by_now,
        coalesce(sum(p.amount), 0) as revenue_full_day
    from moment m
    join recent_bookings b on b.club_id = m.club_id and b.date = m.day
    join payments p on p.booking_id = b.id and p.payment_status = 'успешно'
    group by m.club_id, m.weeks_ago
)

select
    m.club_id,
    m.club_name,
    m.weeks_ago,
    m.day,
    m.cut_ts,
    m.seats::integer as seats,
    coalesce(oh.open_now, false) as open_now,
    coalesce(oh.by_now, 0)::float8 as open_hours_by_now,
    coalesce(oh.full_day, 0)::float8 as open_hours_full_day,
    coalesce(rs.revenue_by_now, 0)::float8 as revenue_by_now,
    coalesce(rs.revenue_full_day, 0)::float8 as revenue_full_day,
    bs.bookings_by_now::integer as bookings_by_now,
    bs.bookings_full_day::integer as bookings_full_day,
    bs.occupied::integer as occupied,
    bs.seat_hours_by_now::float8 as seat_hours_by_now,
    bs.seat_hours_full_day::float8 as seat_hours_full_day,
    bs.bookings_recent::integer as bookings_recent,
    bs.last_booking_at
from moment m
left join open_hours oh on oh.club_id = m.club_id and oh.weeks_ago = m.weeks_ago
left join booking_stats bs on bs.club_id = m.club_id and bs.weeks_ago = m.weeks_ago
left join revenue_stats rs on rs.club_id = m.club_id and rs.weeks_ago = m.weeks_ago
order by m.club_id, m.weeks_ago

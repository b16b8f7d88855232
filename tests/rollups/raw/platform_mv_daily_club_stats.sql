-- Before 023: mv_daily_club_stats' query (010).
with

clubs_open as materialized (  -- hours open per day and seats of each club
    select
        c.id as club_id,
        c.name as club_name,
        c.timezone,
        c.opened_on,
        (select count(*) from club_open_hours oh where oh.club_id = c.id and oh.is_open) as open_hours,
        cs.seats
    from clubs c
    join club_seats cs on cs.club_id = c.id
),

daily_bookings as (  -- sessions are live or completed bookings; seat-hours exclude cancellations
    select
        cb.club_id,
        cb.date as report_date,
        count(distinct cb.user_id) filter (where cb.status <> 'отменено') as unique_customers,
        count(*) filter (where cb.status <> 'отменено') as total_bookings,
        avg(date_part('epoch', cb.local_end - cb.local_start) / 3600)
            filter (where cb.status in ('завершено', 'активно')) as avg_session_hours,
        sum(date_part('epoch', least(cb.local_end, cb.date + interval '1 day') - cb.local_start) / 3600)
            filter (where cb.status <> 'отменено') as same_day_hours,
        sum(date_part('epoch', cb.local_end - (cb.date + interval '1 day')) / 3600)
            filter (where cb.status <> 'отменено' and cb.local_end > cb.date + interval '1 day') as next_day_hours,
        count(*) filter (where cb.status = 'отменено') as cancellations,
        count(*) filter (where cb.status = 'неявка') as no_shows,
        count(distinct cb.seat_id) filter (where cb.status <> 'отменено') as occupied_seats
    from club_bookings cb
    group by cb.club_id, cb.date
),

daily_revenue as (  -- successful payments, on their booking's local day
    select cb.club_id, cb.date as report_date, sum(p.amount) as total_revenue
    from payments p
    join club_bookings cb on cb.booking_id = p.booking_id
    where p.payment_status = 'успешно'
    group by cb.club_id, cb.date
),

club_span as (  -- from the first booking (or the opening, within the chain's data) to today
    select
        co.*,
        least(
            (select min(db.report_date) from daily_bookings db where db.club_id = co.club_id),
            greatest(co.opened_on, (select min(db.report_date) from daily_bookings db))
        ) as first_day,
        greatest(
            (select max(db.report_date) from daily_bookings db where db.club_id = co.club_id),
            (data_as_of() at time zone co.timezone)::date
        ) as last_day
    from clubs_open co
),

club_days as (
    select cs.club_id, cs.club_name, cs.seats, cs.open_hours, g.day::date as report_date
    from club_span cs
    cross join lateral generate_series(cs.first_day, cs.last_day, interval '1 day') g(day)
),

booked as (  -- a day's seat-hours: its own bookings plus the previous night's spill-over
    select
        cd.*,
        coalesce(db.same_day_hours, 0) + coalesce(prev.next_day_hours, 0) as booked_seat_hours
    from club_days cd
    left join daily_bookings db on db.club_id = cd.club_id and db.report_date = cd.report_date
    left join daily_bookings prev on prev.club_id = cd.club_id and prev.report_date = cd.report_date - 1
)

select
    bk.report_date,
    bk.club_id,
    bk.club_name,
    coalesce(db.unique_customers, 0)::integer as unique_customers,
    coalesce(db.total_bookings, 0)::integer as total_bookings,
    coalesce(dr.total_revenue, 0)::numeric(14, 2) as total_revenue,
    db.avg_session_hours::double precision as avg_session_hours,
    bk.booked_seat_hours::double precision as booked_seat_hours,
    (bk.seats * bk.open_hours)::double precision as open_seat_hours,
    (bk.booked_seat_hours / nullif(bk.seats * bk.open_hours, 0))::double precision as utilization,
    coalesce(db.cancellations, 0)::integer as cancellations,
    coalesce(db.no_shows, 0)::integer as no_shows,
    coalesce(db.occupied_seats, 0)::integer as occupied_seats,
    (100.0 * coalesce(db.occupied_seats, 0) / nullif(bk.seats, 0))::double precision as utilization_rate
from booked bk
left join daily_bookings db on db.club_id = bk.club_id and db.report_date = bk.report_date
left join daily_revenue dr on dr.club_id = bk.club_id and dr.report_date = bk.report_date

-- Analytics layer: daily club stats, hourly utilization, and a refresh log.
-- Views are refreshed by refresh_analytics() (core/refresh.py calls it).

-- The seed's own view of this name, on a chain's database, gives way to oyna's: 010 defines it with the
-- seed's columns kept (docs/schema.md, "An existing database"). The views are created empty here, since
-- 010 builds them again.
drop materialized view if exists mv_daily_club_stats;

-- One row per club and club-local day over all history.
-- Bookings count on their local `date`; seat-hours are split at local midnight.
create materialized view mv_daily_club_stats as
with

clubs_open as (  -- hours open per day and seats of each club
    select
        c.id as club_id,
        c.name as club_name,
        c.timezone,
        c.opened_on,
        case
            when c.opens_at = c.closes_at then 24.0
            else date_part('epoch', c.closes_at - c.opens_at) / 3600
                 + case when c.closes_at < c.opens_at then 24 else 0 end
        end as open_hours,
        (select count(*) from halls h join seats s on s.hall_id = h.id
          where h.club_id = c.id and s.is_active) as seats
    from clubs c
),

club_bookings as (  -- bookings with their club and local start / end
    select
        h.club_id,
        b.date as report_date,
        b.user_id,
        b.status,
        b.start_time at time zone co.timezone as local_start,
        b.end_time at time zone co.timezone as local_end
    from bookings b
    join seats s on s.id = b.seat_id
    join halls h on h.id = s.hall_id
    join clubs_open co on co.club_id = h.club_id
),

daily_bookings as (  -- sessions are live or completed bookings; seat-hours exclude cancellations
    select
        club_id,
        report_date,
        count(distinct user_id) filter (where status <> 'отменено') as unique_customers,
        count(*) filter (where status <> 'отменено') as total_bookings,
        avg(date_part('epoch', local_end - local_start) / 3600)
            filter (where status in ('завершено', 'активно')) as avg_session_hours,
        sum(date_part('epoch', least(local_end, report_date + interval '1 day') - local_start) / 3600)
            filter (where status <> 'отменено') as same_day_hours,
        sum(date_part('epoch', local_end - (report_date + interval '1 day')) / 3600)
            filter (where status <> 'отменено' and local_end > report_date + interval '1 day') as next_day_hours,
        count(*) filter (where status = 'отменено') as cancellations,
        count(*) filter (where status = 'неявка') as no_shows
    from club_bookings
    group by club_id, report_date
),

daily_revenue as (  -- successful payments, on their booking's local day
    select h.club_id, b.date as report_date, sum(p.amount) as total_revenue
    from payments p
    join bookings b on b.id = p.booking_id
    join seats s on s.id = b.seat_id
    join halls h on h.id = s.hall_id
    where p.payment_status = 'успешно'
    group by h.club_id, b.date
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
            (now() at time zone co.timezone)::date
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
    coalesce(db.no_shows, 0)::integer as no_shows
from booked bk
left join daily_bookings db on db.club_id = bk.club_id and db.report_date = bk.report_date
left join daily_revenue dr on dr.club_id = bk.club_id and dr.report_date = bk.report_date
with no data;

-- The seed's index name, made unique so the view can be refreshed concurrently.
create unique index idx_mv_daily_club_stats_date_club on mv_daily_club_stats (report_date, club_id);
create index idx_mv_daily_club_stats_club on mv_daily_club_stats (club_id, report_date);


-- Seat utilization by club, hall, local weekday (ISO 1-7) and local hour over the last
-- 12 full weeks (the 84 local days before today), bookings spread over the hours they cover.
create materialized view mv_hourly_utilization as
with

clubs_window as (  -- each club's window in its own time zone
    select
        c.id as club_id,
        c.timezone,
        c.opens_at,
        c.closes_at,
        greatest((now() at time zone c.timezone)::date - 84, c.opened_on) as first_day,
        (now() at time zone c.timezone)::date as end_day  -- exclusive
    from clubs c
),

hall_seats as (
    select h.id as hall_id, h.club_id, h.hall_type, count(s.id) filter (where s.is_active) as seats
    from halls h
    left join seats s on s.hall_id = h.id
    group by h.id, h.club_id, h.hall_type
),

slots as (  -- every weekday-hour of every hall
    select hs.*, dow.dow, hr.hour
    from hall_seats hs
    cross join generate_series(1, 7) dow(dow)
    cross join generate_series(0, 23) hr(hour)
),

occurrences as (  -- how often each weekday-hour occurred in the window while the club was open
    select
        cw.club_id,
        extract(isodow from d.day)::integer as dow,
        hr.hour,
        count(*) filter (where
            cw.opens_at = cw.closes_at
            or (cw.opens_at < cw.closes_at and make_time(hr.hour, 0, 0) >= cw.opens_at
                and make_time(hr.hour, 0, 0) < cw.closes_at)
            or (cw.opens_at > cw.closes_at and (make_time(hr.hour, 0, 0) >= cw.opens_at
                or make_time(hr.hour, 0, 0) < cw.closes_at))
        ) as occurrences
    from clubs_window cw
    cross join lateral generate_series(cw.first_day, cw.end_day - 1, interval '1 day') d(day)
    cross join generate_series(0, 23) hr(hour)
    group by cw.club_id, extract(isodow from d.day), hr.hour
),

window_bookings as (  -- seat-holding bookings that touch the window, in local time
    select
        h.club_id,
        s.hall_id,
        cw.first_day,
        cw.end_day,
        b.start_time at time zone cw.timezone as local_start,
        b.end_time at time zone cw.timezone as local_end
    from bookings b
    join seats s on s.id = b.seat_id
    join halls h on h.id = s.hall_id
    join clubs_window cw on cw.club_id = h.club_id
    where b.status <> 'отменено'
      and b.start_time >= now() - interval '86 days'  -- index-friendly superset of the window
      and b.end_time > (cw.first_day::timestamp at time zone cw.timezone)
      and b.start_time < (cw.end_day::timestamp at time zone cw.timezone)
),

hour_parts as (  -- a 19:30-22:00 booking gives 0.5 h to hour 19, 1 h to 20 and 1 h to 21
    select
        wb.club_id,
        wb.hall_id,
        extract(isodow from g.slot)::integer as dow,
        extract(hour from g.slot)::integer as hour,
        date_part('epoch', least(wb.local_end, g.slot + interval '1 hour') - greatest(wb.local_start, g.slot))
            / 3600 as seat_hours
    from window_bookings wb
    cross join lateral generate_series(date_trunc('hour', wb.local_start), wb.local_end - interval '1 microsecond',
                                       interval '1 hour') g(slot)
    where g.slot >= wb.first_day and g.slot < wb.end_day
),

booked as (
    select hall_id, dow, hour, sum(seat_hours) as booked_seat_hours
    from hour_parts
    group by hall_id, dow, hour
)

select
    sl.club_id,
    sl.hall_id,
    sl.hall_type,
    sl.dow,
    sl.hour,
    coalesce(bk.booked_seat_hours, 0)::double precision as booked_seat_hours,
    sl.seats::integer as seats,
    coalesce(oc.occurrences, 0)::integer as occurrences,
    (coalesce(bk.booked_seat_hours, 0) / nullif(sl.seats * oc.occurrences, 0))::double precision as utilization
from slots sl
left join occurrences oc on oc.club_id = sl.club_id and oc.dow = sl.dow and oc.hour = sl.hour
left join booked bk on bk.hall_id = sl.hall_id and bk.dow = sl.dow and bk.hour = sl.hour
with no data;

create unique index idx_mv_hourly_utilization_key on mv_hourly_utilization (hall_id, dow, hour);
create index idx_mv_hourly_utilization_club on mv_hourly_utilization (club_id, dow, hour);


-- When each view was last refreshed and how long it took.
create table mv_refresh_log (
    view_name     text primary key,
    refreshed_at  timestamptz not null,
    seconds       double precision not null check (seconds >= 0),
    row_count     bigint not null check (row_count >= 0)
);

-- Refresh every analytics view: concurrently when asked and already populated, otherwise plainly.
-- Returns one row per view with the seconds it took; also recorded in mv_refresh_log.
create or replace function refresh_analytics(concurrent boolean default true)
returns table (view_name text, seconds double precision, row_count bigint, was_concurrent boolean)
language plpgsql as $$
declare
    v text;
    t0 timestamptz;
    populated boolean;
begin
    perform set_config('work_mem', '256MB', true);  -- sorts and hashes in memory, for this transaction only
    foreach v in array array['mv_daily_club_stats', 'mv_hourly_utilization'] loop
        select c.relispopulated into populated from pg_class c where c.oid = v::regclass;
        t0 := clock_timestamp();
        if concurrent and populated then
            execute format('refresh materialized view concurrently %I', v);
        else
            execute format('refresh materialized view %I', v);
        end if;
        view_name := v;
        seconds := date_part('epoch', clock_timestamp() - t0);
        execute format('select count(*) from %I', v) into row_count;
        was_concurrent := concurrent and populated;
        insert into mv_refresh_log as l (view_name, refreshed_at, seconds, row_count)
        values (v, clock_timestamp(), refresh_analytics.seconds, refresh_analytics.row_count)
        on conflict on constraint mv_refresh_log_pkey do update
            set refreshed_at = excluded.refreshed_at, seconds = excluded.seconds, row_count = excluded.row_count;
        return next;
    end loop;
end $$;

-- Building blocks that several queries share, each defined once, and the product's thresholds.
-- Queries and the analytics views use these objects instead of repeating the joins and tests.
-- docs/schema.md lists them with their columns.


-- "Now" as the data knows it: the moment "local today", "today so far" and the live figures are
-- measured at. For now it is the clock; when an imported history ends in the past it becomes the
-- data's last timestamp, and every page then works "as of" that moment. It must stay stable and
-- cheap: queries mostly read it once per statement (a one-row CTE or `(select data_as_of())`), but
-- where its value steers the plan they call it in the filter itself, which is free while the body
-- is inlined (a body that reads a table is not). Like club_windows() below it has a standard
-- SQL body, bound when it is created, so REFRESH MATERIALIZED VIEW (which runs with a locked-down
-- search_path) can call it.
create or replace function data_as_of() returns timestamptz
language sql stable parallel safe
begin atomic
    select now();
end;


-- The numbers that define the product (risk band, near capacity, churn window ...). `migrate()`
-- writes them from core/platform/thresholds.py after every migration run; nothing else does.
create table product_thresholds (
    name   text primary key,
    value  numeric not null
);

-- One threshold by name; an unknown name is an error, never a silent null.
-- Read it once per query: `(select product_threshold('high_risk'))` or a one-row CTE.
create or replace function product_threshold(threshold_name text) returns numeric
language plpgsql stable parallel safe as $$
declare
    found_value numeric;
begin
    select t.value into found_value from product_thresholds t where t.name = threshold_name;
    if not found then
        raise exception 'unknown product threshold: %', coalesce(quote_literal(threshold_name), 'NULL')
            using errcode = 'undefined_object',
                  hint = 'thresholds are defined in core/platform/thresholds.py and written by oyna db migrate';
    end if;
    return found_value;
end $$;


-- Whether each club is open in each local hour (0-23). An hour counts as open when it starts inside
-- the opening hours; closing before opening wraps past midnight (10:00-04:00 is open from hour 10
-- to hour 3), and equal times mean open 24 hours.
create or replace view club_open_hours as
select
    c.id as club_id,
    hr.hour,
    (c.opens_at = c.closes_at
     or (c.opens_at < c.closes_at and make_time(hr.hour, 0, 0) >= c.opens_at
         and make_time(hr.hour, 0, 0) < c.closes_at)
     or (c.opens_at > c.closes_at and (make_time(hr.hour, 0, 0) >= c.opens_at
         or make_time(hr.hour, 0, 0) < c.closes_at))) as is_open
from clubs c
cross join generate_series(0, 23) as hr(hour);


-- The price band of each local hour (0-23) from time_bands, whose night band wraps past midnight;
-- an hour no band covers is 'none' with a price factor of 1.
create or replace view hour_bands as
select hr.hour, coalesce(tb.band, 'none') as band, coalesce(tb.price_factor, 1)::float8 as price_factor
from generate_series(0, 23) as hr(hour)
left join time_bands tb
  on (tb.starts_hour < tb.ends_hour and hr.hour >= tb.starts_hour and hr.hour < tb.ends_hour)
  or (tb.starts_hour > tb.ends_hour and (hr.hour >= tb.starts_hour or hr.hour < tb.ends_hour));


-- Active seats of every hall (0 for a hall without any).
create or replace view hall_seats as
select
    h.id as hall_id,
    h.club_id,
    h.name as hall_name,
    h.hall_type,
    h.hourly_price,
    (count(s.id) filter (where s.is_active))::integer as seats
from halls h
left join seats s on s.hall_id = h.id
group by h.id;

-- Halls and active seats of every club (0 for a club without any).
create or replace view club_seats as
select
    c.id as club_id,
    count(hs.hall_id)::integer as halls,
    coalesce(sum(hs.seats), 0)::integer as seats
from clubs c
left join hall_seats hs on hs.club_id = c.id
group by c.id;


-- A time of the chain's tables as an instant and as the club's local time. oyna's own columns are
-- timestamptz; a chain's own tables (the seed's style) may hold `timestamp without time zone`, which is
-- the club's local time. The overload is chosen by the column's type when a view or query is created, and
-- these one-line SQL functions are inlined, so on timestamptz columns the planner sees the bare column
-- (and keeps using its indexes).
create or replace function club_instant(at timestamptz, tz text) returns timestamptz
language sql immutable parallel safe as 'select at';
create or replace function club_instant(at timestamp, tz text) returns timestamptz
language sql immutable parallel safe as 'select at at time zone tz';
create or replace function club_local(at timestamptz, tz text) returns timestamp
language sql immutable parallel safe as 'select at at time zone tz';
create or replace function club_local(at timestamp, tz text) returns timestamp
language sql immutable parallel safe as 'select at';


-- Every booking with its seat, hall and club, and its start and end as instants and in the club's local
-- time (club_instant, club_local). A plain join, so the planner inlines it and keeps using the indexes on
-- bookings. Seats, halls and clubs are joined "left" (every booking has its seat, hall and club) so that a
-- query that needs none of their columns skips those joins (on oyna's timestamptz columns the times need
-- no time zone). created_at is when the booking was made; a chain's booking that
-- does not say is taken as made when it starts.
create or replace view club_bookings as
select
    b.id as booking_id,
    b.user_id,
    b.seat_id,
    s.hall_id,
    h.club_id,
    h.hall_type,
    c.timezone,
    b.date,                                        -- the club's local date of start_time
    club_instant(b.start_time, c.timezone) as start_time,
    club_instant(b.end_time, c.timezone) as end_time,
    club_local(b.start_time, c.timezone) as local_start,
    club_local(b.end_time, c.timezone) as local_end,
    b.status,
    b.package,
    b.price,
    coalesce(club_instant(b.created_at, c.timezone), club_instant(b.start_time, c.timezone)) as created_at
from bookings b
left join seats s on s.id = b.seat_id
left join halls h on h.id = s.hall_id
left join clubs c on c.id = h.club_id;


-- Each club's window of local days [first_day, end_day), in its own time zone:
--   first_day   from_day, not before the club opened; when from_day is null, `days` days before
--               end_day (or, with `days` null too, the day the club opened)
--   end_day     the day after to_day, never later than the day after the club's local today; when
--               to_day is null, the club's local today (so the window ends with the last complete day)
--   first_ts, end_ts  the same bounds as instants; local_today is the local date at data_as_of().
-- club_windows(:start_day, :end_day) is a date-range filter; club_windows(null, null, 84) is the
-- 84 complete days before each club's local today.
create or replace function club_windows(from_day date, to_day date, days integer default null)
returns table (
    club_id      integer,
    club_name    text,
    timezone     text,
    opens_at     time,
    closes_at    time,
    opened_on    date,
    local_today  date,
    first_day    date,
    end_day      date,
    first_ts     timestamptz,
    end_ts       timestamptz
)
language sql stable parallel safe
begin atomic
    select
        w.id, w.name, w.timezone, w.opens_at, w.closes_at, w.opened_on, w.local_today,
        w.first_day, w.end_day,
        w.first_day::timestamp at time zone w.timezone,
        w.end_day::timestamp at time zone w.timezone
    from (
        select e.*, greatest(coalesce(from_day, e.end_day - days), e.opened_on) as first_day
        from (
            select t.*, least(coalesce(to_day, t.local_today - 1), t.local_today) + 1 as end_day
            from (
                select c.id, c.name, c.timezone, c.opens_at, c.closes_at, c.opened_on,
                       (data_as_of() at time zone c.timezone)::date as local_today
                from clubs c
            ) t
        ) e
    ) w;
end;


-- The analytics views of 005, rebuilt on the blocks above (same unique indexes, so refresh_analytics()
-- still refreshes them concurrently).
drop materialized view mv_daily_club_stats;
drop materialized view mv_hourly_utilization;

-- One row per club and club-local day over all history.
-- Bookings count on their local `date`; seat-hours are split at local midnight. A day's open hours
-- are the local hours club_open_hours marks open. The seed's own view of this name had
-- occupied_seats and utilization_rate; they stay, with the seed's meaning (distinct seats booked that day,
-- and their share of the club's seats in percent), so its readers and refresh_daily_stats() keep working.
create materialized view mv_daily_club_stats as
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
with data;

-- The seed's index name, made unique so the view can be refreshed concurrently.
create unique index idx_mv_daily_club_stats_date_club on mv_daily_club_stats (report_date, club_id);
create index idx_mv_daily_club_stats_club on mv_daily_club_stats (club_id, report_date);


-- Seat utilization by club, hall, local weekday (ISO 1-7) and local hour over the last
-- 12 full weeks (the 84 local days before today), bookings spread over the hours they cover.
create materialized view mv_hourly_utilization as
with

clubs_window as (  -- each club's window in its own time zone
    select club_id, first_day, end_day, first_ts, end_ts
    from club_windows(null, null, 84)
),

slots as (  -- every weekday-hour of every hall
    select hs.hall_id, hs.club_id, hs.hall_type, hs.seats, dow.dow, hr.hour
    from hall_seats hs
    cross join generate_series(1, 7) dow(dow)
    cross join generate_series(0, 23) hr(hour)
),

occurrences as (  -- how often each weekday-hour occurred in the window while the club was open
    select
        cw.club_id,
        extract(isodow from d.day)::integer as dow,
        oh.hour,
        count(*) filter (where oh.is_open) as occurrences
    from clubs_window cw
    cross join lateral generate_series(cw.first_day, cw.end_day - 1, interval '1 day') d(day)
    join club_open_hours oh on oh.club_id = cw.club_id
    group by cw.club_id, extract(isodow from d.day), oh.hour
),

window_bookings as (  -- seat-holding bookings that touch the window, in local time
    select cb.hall_id, cw.first_day, cw.end_day, cb.local_start, cb.local_end
    from club_bookings cb
    join clubs_window cw on cw.club_id = cb.club_id
    where cb.status <> 'отменено'
      and cb.start_time >= (select data_as_of()) - interval '86 days'  -- index-friendly superset of the window
      and cb.end_time > cw.first_ts
      and cb.start_time < cw.end_ts
),

hour_parts as (  -- a 19:30-22:00 booking gives 0.5 h to hour 19, 1 h to 20 and 1 h to 21
    select
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
with data;

create unique index idx_mv_hourly_utilization_key on mv_hourly_utilization (hall_id, dow, hour);
create index idx_mv_hourly_utilization_club on mv_hourly_utilization (club_id, dow, hour);


-- ai_dashboard_summary() of 009 for some clubs, on the blocks above, with the product's thresholds
-- and data_as_of() as "now". An empty array sees nothing. The revenue forecast is the chain's when
-- the clubs are the whole chain, the club's own for one club, and none for any other group.
create or replace function ai_dashboard_summary(club_ids integer[])
returns table (
    metric_name       text,
    metric_category   text,
    current_value     numeric,
    predicted_value   numeric,
    confidence_level  numeric,
    alert_level       text
)
language sql stable as $$
with moment as (
    select data_as_of() as at
),
limits as (
    select product_threshold('high_risk') as high_risk,
           product_threshold('win_back_days') as win_back_days,
           1 - product_threshold('high_value_share') as high_value_quantile
),
scope as (
    select count(*) filter (where c.id = any(club_ids)) as chosen,
           count(*) as total,
           min(c.id) filter (where c.id = any(club_ids)) as first_chosen
    from clubs c
),
club_now as (
    select c.id as club_id,
           (m.at at time zone c.timezone)::date as today,
           extract(hour from m.at at time zone c.timezone) + extract(minute from m.at at time zone c.timezone) / 60.0
               as hour_now,
           cs.seats
    from clubs c
    join club_seats cs on cs.club_id = c.id
    cross join moment m
    where c.id = any(club_ids)
),
recent as (
    select b.*
    from club_bookings b
    where b.start_time >= (select at from moment) - interval '36 days'
      and b.club_id = any(club_ids)
),
-- share of a day's revenue (by the booking's local day, as the forecast counts it) usually
-- booked before this local hour, over the last 28 days
hour_profile as (
    select extract(hour from b.local_start)::int as hour, sum(p.amount) as revenue
    from payments p
    join recent b on b.booking_id = p.booking_id
    cross join moment m
    where p.payment_status = 'успешно' and b.start_time >= m.at - interval '28 days' and b.start_time < m.at
    group by 1
),
day_share as (
    select coalesce(sum(revenue) filter (where hour < (select avg(hour_now) from club_now)), 0)
           / nullif(sum(revenue), 0) as share
    from hour_profile
),
revenue_today as (
    select coalesce(sum(p.amount), 0) as value
    from payments p
    join recent b on b.booking_id = p.booking_id
    join club_now n on n.club_id = b.club_id
    where p.payment_status = 'успешно'
      and b.date = n.today
),
revenue_forecast as (
    select f.yhat, f.lo_80, f.lo_95
    from revenue_forecasts f
    cross join scope s
    where f.version = active_model_version()
      and f.club_id = case when s.chosen = s.total then 0 when s.chosen = 1 then s.first_chosen end
      and f.day = (select min(today) from club_now)
),
forecast_quality as (
    select (metrics -> 'forecast' ->> 'smape')::numeric as smape,
           (metrics -> 'churn' ->> 'roc_auc')::numeric as churn_auc
    from model_versions where status = 'active'
),
bookings_today as (
    select count(*) as value
    from recent b
    join club_now n on n.club_id = b.club_id
    where b.date = n.today and b.status <> 'отменено'
),
bookings_usual as (
    -- the same weekday over the last four weeks, whole days
    select count(*) / 4.0 as value
    from recent b
    join club_now n on n.club_id = b.club_id
    where b.date in (n.today - 7, n.today - 14, n.today - 21, n.today - 28)
      and b.status <> 'отменено'
),
-- seat-hours held since local midnight until now: today, and the same weekday 1-4 weeks ago
held_so_far as (
    select w.weeks,
           sum(extract(epoch from least(b.end_time, m.at - w.weeks * interval '7 days')
                                  - greatest(b.start_time, (n.today - 7 * w.weeks)::timestamp at time zone b.timezone))
               / 3600.0) as seat_hours
    from generate_series(0, 4) as w(weeks)
    cross join moment m
    join recent b on true
    join club_now n on n.club_id = b.club_id
    where b.status <> 'отменено'
      and b.start_time < m.at - w.weeks * interval '7 days'
      and b.end_time > (n.today - 7 * w.weeks)::timestamp at time zone b.timezone
    group by w.weeks
),
utilization_so_far as (
    -- one row even before anything is booked today
    select 100 * coalesce(sum(h.seat_hours) filter (where h.weeks = 0), 0) / nullif(k.capacity, 0) as today,
           100 * coalesce(sum(h.seat_hours) filter (where h.weeks > 0), 0) / 4.0 / nullif(k.capacity, 0) as usual
    from (select sum(seats * greatest(hour_now, 0.25)) as capacity from club_now) k
    left join held_so_far h on true
    group by k.capacity
),
occupied_now as (
    select count(*) as value
    from recent b
    cross join moment m
    where b.status = 'активно' and b.start_time <= m.at and b.end_time > m.at
),
occupied_usual as (
    -- seats in use at this moment of the week, 1-4 weeks ago
    select count(*) / 4.0 as value
    from recent b
    cross join moment m
    cross join generate_series(1, 4) as w
    where b.status in ('завершено', 'неявка', 'активно')
      and b.start_time <= m.at - w * interval '7 days'
      and b.end_time > m.at - w * interval '7 days'
),
compared_versions as (
    -- the active version and the one before it
    select version, status = 'active' as is_active
    from model_versions
    where status in ('active', 'retired')
    order by (status = 'active') desc, activated_at desc nulls last
    limit 2
),
high_value_line as (  -- the top share by predicted value, over the whole chain
    select s.version, percentile_cont((select high_value_quantile from limits)) within group (order by s.clv_12m)
               as clv_line
    from customer_scores s
    join compared_versions v using (version)
    group by s.version
),
risk_counts as (  -- customers whose favourite club is one of the clubs
    select count(*) filter (where v.is_active and s.churn_risk >= l.high_risk) as at_risk_now,
           count(*) filter (where not v.is_active and s.churn_risk >= l.high_risk) as at_risk_before,
           count(*) filter (where v.is_active and s.churn_risk >= l.high_risk and s.clv_12m >= h.clv_line)
               as high_value_now,
           count(*) filter (where not v.is_active and s.churn_risk >= l.high_risk and s.clv_12m >= h.clv_line)
               as high_value_before
    from customer_scores s
    cross join limits l
    join compared_versions v using (version)
    join high_value_line h using (version)
    where s.recency_days <= l.win_back_days  -- customers who can still be won back, not long-lapsed ones
      and s.club_id = any(club_ids)
)
select 'revenue_today', 'revenue', r.value, round(f.yhat, 0),
       greatest(0, 100 - coalesce(q.smape, 100)),
       case when f.yhat is null or f.lo_95 >= f.yhat or d.share is null then 'normal'
            when r.value < f.lo_95 * d.share then 'critical'
            when r.value < f.lo_80 * d.share then 'warning'
            else 'normal' end
from revenue_today r
cross join day_share d
left join revenue_forecast f on true
left join forecast_quality q on true
union all
select 'bookings_today', 'operations', bt.value, round(bu.value, 0), 80,
       case when bu.value >= 10 and bt.value < 0.5 * bu.value * coalesce(d.share, 1) then 'warning' else 'normal' end
from bookings_today bt cross join bookings_usual bu cross join day_share d
union all
select 'seats_occupied_now', 'operations', o.value, round(u.value, 0), 75,
       case when u.value >= 5 and o.value < 0.5 * u.value then 'warning' else 'normal' end
from occupied_now o cross join occupied_usual u
union all
select 'utilization_today', 'operations', round(u.today, 1), round(u.usual, 1), 80,
       case when u.usual >= 5 and u.today < 0.7 * u.usual then 'warning' else 'normal' end
from utilization_so_far u
union all
select 'customers_at_risk', 'customers', r.at_risk_now, nullif(r.at_risk_before, 0),
       round(100 * coalesce(q.churn_auc, 0), 1),
       case when r.at_risk_before > 0 and r.at_risk_now > 1.2 * r.at_risk_before then 'warning' else 'normal' end
from risk_counts r left join forecast_quality q on true
union all
select 'high_value_at_risk', 'customers', r.high_value_now, nullif(r.high_value_before, 0),
       round(100 * coalesce(q.churn_auc, 0), 1),
       case when r.high_value_before = 0 then 'normal'
            when r.high_value_now > 1.3 * r.high_value_before then 'critical'
            when r.high_value_now > 1.1 * r.high_value_before then 'warning'
            else 'normal' end
from risk_counts r left join forecast_quality q on true
$$;

-- The seed's function, unchanged in its columns: the whole chain.
create or replace function ai_dashboard_summary()
returns table (
    metric_name       text,
    metric_category   text,
    current_value     numeric,
    predicted_value   numeric,
    confidence_level  numeric,
    alert_level       text
)
language sql stable as $$
    select * from ai_dashboard_summary(array(select c.id from clubs c))
$$;

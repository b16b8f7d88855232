-- Revenue of each club on each complete club-local day: from mv_daily_club_stats up to the day of its
-- last refresh, and from the tables after it (so a stale view never hides recent days). "Today" is
-- the local date at data_as_of(). Only the clubs in :club_ids (an empty list returns nothing).
with

refreshed as (
    select coalesce(
        (select l.refreshed_at from mv_refresh_log l where l.view_name = 'mv_daily_club_stats'),
        '-infinity'::timestamptz) as at
),

club as (
    select
        c.id as club_id,
        c.timezone,
        (n.at at time zone c.timezone)::date as local_today,
        ((select at from refreshed) at time zone c.timezone)::date as view_until  -- exclusive
    from clubs c
    cross join (select data_as_of() as at) n
    where c.id = any(cast(:club_ids as int[]))
),

from_view as (
    select s.report_date as day, s.club_id, s.total_revenue::float8 as revenue
    from mv_daily_club_stats s
    join club cl on cl.club_id = s.club_id
    where s.report_date < least(cl.view_until, cl.local_today)
),

tail_bookings as (  -- bookings dated on or after the view's last complete day
    select b.club_id, b.booking_id, b.date
    from club_bookings b
    join club cl on cl.club_id = b.club_id
    where b.date >= cl.view_until
      and b.date < cl.local_today
      and b.start_time >= (cl.view_until - 2)::timestamp at time zone cl.timezone
      -- one bound for all clubs, so the index on start_time is used (not a scan of every booking)
      and b.start_time >= (select min((c2.view_until - 2)::timestamp at time zone c2.timezone) from club c2)
),

from_tables as (
    select tb.date as day, tb.club_id, sum(p.amount)::float8 as revenue
    from tail_bookings tb
    join payments p on p.booking_id = tb.booking_id and p.payment_status = 'успешно'
    group by tb.date, tb.club_id
)

select day, club_id, revenue from from_view
union all
select day, club_id, revenue from from_tables
order by day, club_id

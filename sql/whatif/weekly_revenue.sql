-- Revenue (successful payments) of each club in each full week of the :weeks before :as_of
-- (null: each club's local today), by the bookings' local start date (rollup_club_days), for the clubs in
-- :club_ids (an empty list returns nothing). The spread of these weekly totals is the what-if model's
-- "ordinary week-to-week variation".
with

club_window as materialized (  -- once: club_windows() reads data_as_of(), which reads a table
    select w.club_id, w.first_day, w.end_day
    from club_windows(cast(:as_of as date) - 7 * cast(:weeks as int), cast(:as_of as date) - 1,
                      7 * cast(:weeks as int)) w
    where w.club_id = any(cast(:club_ids as int[]))
),

weeks as (  -- whole weeks counted back from the end, so a club that opened mid-window gets full weeks only
    select cw.club_id, w.n as week, cw.end_day - 7 * (w.n + 1) as week_start
    from club_window cw
    cross join generate_series(0, cast(:weeks as int) - 1) w(n)
    where cw.end_day - 7 * (w.n + 1) >= cw.first_day
),

revenue as (
    select d.club_id, (cw.end_day - d.day - 1) / 7 as week, sum(d.revenue)::float8 as revenue
    from club_window cw
    join rollup_club_days d on d.club_id = cw.club_id and d.day >= cw.first_day and d.day < cw.end_day
    group by 1, 2
)

select w.club_id, w.week, w.week_start, coalesce(r.revenue, 0)::float8 as revenue
from weeks w
left join revenue r on r.club_id = w.club_id and r.week = w.week
order by w.club_id, w.week

-- Revenue (successful payments) of each club in each full week of the :weeks before :as_of
-- (null: each club's local today), by the bookings' local start date, for the clubs in :club_ids (an
-- empty list returns nothing). The spread of these weekly totals is the what-if model's "ordinary
-- week-to-week variation".
with

club_window as (
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
    select b.club_id, (cw.end_day - b.date - 1) / 7 as week, sum(p.amount)::float8 as revenue
    from payments p
    join club_bookings b on b.booking_id = p.booking_id
    join club_window cw on cw.club_id = b.club_id
    where p.payment_status = 'успешно'
      and b.date >= cw.first_day
      and b.date < cw.end_day
      and b.start_time >= (select min(first_day) from club_window) - interval '2 days'
      and b.start_time < (select max(end_day) from club_window) + interval '2 days'
    group by 1, 2
)

select w.club_id, w.week, w.week_start, coalesce(r.revenue, 0)::float8 as revenue
from weeks w
left join revenue r on r.club_id = w.club_id and r.week = w.week
order by w.club_id, w.week

-- A customer's visits and spend per month at the clubs in :club_ids (bookings elsewhere are left
-- out, so a customer who never booked at those clubs has no rows; an empty list returns nothing).
with visits as (
    select date_trunc('month', b.date)::date as month,
           count(*) filter (where b.status in ('завершено', 'активно')) as visits,
           count(*) filter (where b.status = 'отменено') as cancellations
    from club_bookings b
    where b.user_id = :user_id
      and b.club_id = any(cast(:club_ids as int[]))
    group by 1
),
spend as (
    select date_trunc('month', b.date)::date as month, sum(p.amount) as spend
    from payments p
    join club_bookings b on b.booking_id = p.booking_id
    where b.user_id = :user_id
      and b.club_id = any(cast(:club_ids as int[]))
      and p.payment_status = 'успешно'
    group by 1
)
select v.month, v.visits, v.cancellations, coalesce(s.spend, 0)::float8 as spend
from visits v
left join spend s using (month)
order by v.month

-- What the models need before they predict (core/data/requirements.py), over the whole chain up to
-- :data_end, or over the bookings at the clubs of :club_ids when it is not null (what an account of some
-- clubs is shown). Visits are live or completed bookings. Churn examples are the customers who visited
-- before :cutoff (:data_end less the churn window): churned ones have no visit in the window after it, the
-- others stayed. A repeat customer visited on two days or more; a paying customer has a successful
-- payment above zero; revenue days are club-local days with successful payments.
with shown as (
    select s.id from seats s join halls h on h.id = s.hall_id where h.club_id = any(cast(:club_ids as int[]))
),
visits as (
    select b.user_id, b.date, b.start_time
    from bookings b
    where b.status in ('завершено', 'активно')
      and b.start_time < cast(:data_end as timestamptz)
      and (cast(:club_ids as int[]) is null or b.seat_id in (select id from shown))
),
per_customer as (
    select user_id,
           count(*) as visits,
           count(distinct date) as visit_days,
           bool_or(start_time < cast(:cutoff as timestamptz)) as before_cutoff,
           bool_or(start_time > cast(:cutoff as timestamptz)) as after_cutoff
    from visits
    group by user_id
),
paid as (
    select count(distinct b.user_id) as paying_customers,
           count(distinct b.date) as revenue_days
    from payments p
    join bookings b on b.id = p.booking_id
    where p.payment_status = 'успешно' and p.amount > 0
      and b.start_time < cast(:data_end as timestamptz)
      and (cast(:club_ids as int[]) is null or b.seat_id in (select id from shown))
)
select count(*)::bigint as customers,
       count(*) filter (where visit_days >= 2)::bigint as repeat_customers,
       count(*) filter (where visits >= 3)::bigint as customers_3_visits,
       count(*) filter (where before_cutoff and not after_cutoff)::bigint as churned_examples,
       count(*) filter (where before_cutoff and after_cutoff)::bigint as stayed_examples,
       coalesce((select extract(epoch from cast(:data_end as timestamptz) - min(start_time)) / 86400 from visits), 0)
           ::float8 as history_days,
       (select paying_customers from paid)::bigint as paying_customers,
       (select revenue_days from paid)::bigint as revenue_days
from per_customer

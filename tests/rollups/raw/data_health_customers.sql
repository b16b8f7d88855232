-- Data health: customers and visits at the clubs in :club_ids (an empty list returns nothing). A visit
-- is a live or completed booking; a repeat customer visited on two days or more; a paying customer
-- has a successful payment above zero. `customers` counts every customer when :club_ids is the whole
-- chain (customers without a visit belong to no club), else those with a booking at the clubs. One row
-- (none for an empty list).
with scoped as (
    select cb.booking_id, cb.user_id, cb.date, cb.status in ('завершено', 'активно') as is_visit
    from club_bookings cb
    where cb.club_id = any(cast(:club_ids as int[]))
),
per_customer as (
    select user_id,
           count(*) filter (where is_visit) as visits,
           count(distinct date) filter (where is_visit) as visit_days
    from scoped
    group by user_id
),
paying as (
    select count(distinct s.user_id) as customers
    from payments p
    join scoped s on s.booking_id = p.booking_id
    where p.payment_status = 'успешно' and p.amount > 0
),
whole_chain as (
    select exists (select 1 from clubs c where c.id = any(cast(:club_ids as int[])))
           and not exists (select 1 from clubs c where c.id <> all(cast(:club_ids as int[]))) as yes
)
select case when w.yes then (select count(*) from users) else (select count(*) from per_customer) end::bigint
           as customers,
       (select count(*) from per_customer where visits > 0)::bigint as customers_with_visits,
       (select coalesce(sum(visits), 0) from per_customer)::bigint as visits,
       (select count(*) from per_customer where visit_days >= 2)::bigint as repeat_customers,
       (select count(*) from per_customer where visits >= 3)::bigint as customers_3_visits,
       (select customers from paying)::bigint as paying_customers
from whole_chain w
where exists (select 1 from clubs c where c.id = any(cast(:club_ids as int[])))  -- no clubs: no row

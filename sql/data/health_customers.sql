-- Data health: customers and visits at the clubs in :club_ids (an empty list returns nothing), from
-- rollup_customer_months. A visit is a live or completed booking; a repeat customer visited on two days or
-- more (distinct dates over every club: the months' day bits); a paying customer has successful payments
-- (their sum above zero). `customers` counts every customer when :club_ids is the whole chain (customers
-- without a visit belong to no club), else those with a booking at the clubs. One row (none for an empty list).
with months as (
    select m.user_id, m.month, sum(m.visits) as visits, bit_or(m.visit_day_bits) as day_bits, sum(m.spend) as spend
    from rollup_customer_months m
    where m.club_id = any(cast(:club_ids as int[]))
    group by m.user_id, m.month
),
per_customer as (
    select user_id,
           sum(visits) as visits,
           sum(bit_count(day_bits::bit(32))) as visit_days,
           sum(spend) as spend
    from months
    group by user_id
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
       (select count(*) from per_customer where spend > 0)::bigint as paying_customers
from whole_chain w
where exists (select 1 from clubs c where c.id = any(cast(:club_ids as int[])))  -- no clubs: no row

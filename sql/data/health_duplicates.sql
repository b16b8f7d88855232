-- Data health: customers who share an e-mail (compared in lower case) or a phone (its last ten digits),
-- the largest groups first (at most :limit per kind). Customers are those with a booking at the clubs
-- in :club_ids (rollup_customer_months; an empty list returns nothing), and every customer when that is the
-- whole chain.
with whole_chain as (
    select exists (select 1 from clubs c where c.id = any(cast(:club_ids as int[])))
           and not exists (select 1 from clubs c where c.id <> all(cast(:club_ids as int[]))) as yes
),
scoped as (
    select u.id, u.email, u.phone
    from users u
    cross join whole_chain w
    where w.yes
       or exists (select 1 from rollup_customer_months m
                  where m.user_id = u.id and m.club_id = any(cast(:club_ids as int[])))
),
keyed as (
    select id, 'email' as kind, lower(trim(email)) as value, email as shown from scoped where email is not null
    union all
    select id, 'phone', right(regexp_replace(phone, '\D', '', 'g'), 10), phone from scoped
    where length(regexp_replace(coalesce(phone, ''), '\D', '', 'g')) >= 7
),
groups as (
    select kind, value, min(shown) as shown, count(*) as customers, (array_agg(id order by id))[1:5] as user_ids,
           row_number() over (partition by kind order by count(*) desc, value) as n,
           count(*) over (partition by kind) as groups
    from keyed
    group by kind, value
    having count(*) > 1
)
select kind, shown as value, customers::integer as customers, user_ids, groups::integer as groups
from groups
where n <= :limit
order by kind, customers desc, value

-- Data health: counts of what should not be there, at the clubs in :club_ids (an empty list returns
-- nothing): overlapping bookings of a seat, payment mismatches by kind (the views of migration 013),
-- negative or absurd amounts (above :max_amount), and visits shorter than :min_minutes or longer than
-- :max_hours.
with scoped_bookings as (
    select cb.booking_id, cb.status, cb.start_time, cb.end_time
    from club_bookings cb
    where cb.club_id = any(cast(:club_ids as int[]))
),
mismatches as (
    select m.problem, count(*) as n
    from payment_mismatches m
    join scoped_bookings b on b.booking_id = m.booking_id
    group by m.problem
),
amounts as (
    select count(*) filter (where p.amount < 0) as negative,
           count(*) filter (where p.amount > :max_amount) as absurd
    from payments p
    join scoped_bookings b on b.booking_id = p.booking_id
),
lengths as (
    select count(*) filter (where b.status in ('завершено', 'активно')
                              and b.end_time - b.start_time < make_interval(mins => cast(:min_minutes as integer)))
               as short_visits,
           count(*) filter (where b.end_time - b.start_time > make_interval(hours => cast(:max_hours as integer)))
               as long_visits
    from scoped_bookings b
)
select
    (select count(*) from seat_overlaps o join scoped_bookings b on b.booking_id = o.booking_id)::bigint
        as seat_overlaps,
    coalesce((select n from mismatches where problem = 'visit without payment'), 0)::bigint as visits_without_payment,
    coalesce((select n from mismatches where problem = 'payment without visit'), 0)::bigint as payments_without_visit,
    coalesce((select sum(n) from mismatches where problem in ('several payments', 'amount differs from price')), 0)
        ::bigint as payments_not_matching,
    a.negative::bigint as negative_amounts,
    a.absurd::bigint as absurd_amounts,
    l.short_visits::bigint as short_visits,
    l.long_visits::bigint as long_visits
from amounts a
cross join lengths l
where exists (select 1 from clubs c where c.id = any(cast(:club_ids as int[])))  -- no clubs: no row

-- Data health: counts of what should not be there, at the clubs in :club_ids (an empty list returns
-- nothing), from rollup_club_days: overlapping bookings of a seat, payment mismatches by kind (the views of
-- migration 013, counted per booking), negative or absurd amounts (above product_threshold('health_max_amount')),
-- and visits shorter than 'health_min_visit_minutes' or longer than 'health_max_visit_hours'.
select
    coalesce(sum(d.seat_overlaps), 0)::bigint as seat_overlaps,
    coalesce(sum(d.visits_without_payment), 0)::bigint as visits_without_payment,
    coalesce(sum(d.payments_without_visit), 0)::bigint as payments_without_visit,
    coalesce(sum(d.payments_not_matching), 0)::bigint as payments_not_matching,
    coalesce(sum(d.negative_amounts), 0)::bigint as negative_amounts,
    coalesce(sum(d.absurd_amounts), 0)::bigint as absurd_amounts,
    coalesce(sum(d.short_visits), 0)::bigint as short_visits,
    coalesce(sum(d.long_visits), 0)::bigint as long_visits
from rollup_club_days d
where d.club_id = any(cast(:club_ids as int[]))
having exists (select 1 from clubs c where c.id = any(cast(:club_ids as int[])))  -- no clubs: no row

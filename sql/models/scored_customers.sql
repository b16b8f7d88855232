-- How many customers the active model version scored: all of them when :club_ids is null, else those whose
-- favourite club is in :club_ids.
select count(*)::bigint as customers
from customer_scores s
where s.version = active_model_version()
  and (cast(:club_ids as int[]) is null or s.club_id = any(cast(:club_ids as int[])))

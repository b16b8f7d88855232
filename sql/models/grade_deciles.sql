-- Realized churn by decile of predicted risk for one version: the whole chain (club_id 0) when
-- :club_ids holds every club, and each club in :club_ids (an empty list returns nothing).
select d.club_id, d.decile, d.customers, d.mean_risk, d.churn_rate
from model_grade_deciles d
where d.version = :version
  and (d.club_id = any(cast(:club_ids as int[]))
       or (d.club_id = 0 and not exists (select 1 from clubs c where c.id <> all(cast(:club_ids as int[])))))
order by d.club_id, d.decile

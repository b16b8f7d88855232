-- The customers a campaign can target: every customer the active model scored whose favourite club is in
-- :club_ids (an empty list returns nothing), with the churn risk (a calibrated probability, 0-100) and
-- the 12-month lifetime value; riskiest first.
select s.user_id,
       s.club_id,
       s.segment,
       s.churn_risk::float8 as churn_risk,
       coalesce(s.clv_12m, 0)::float8 as clv_12m,
       s.version as model_version
from customer_scores s
where s.version = active_model_version()
  and s.club_id = any(cast(:club_ids as int[]))
order by s.churn_risk desc, s.clv_12m desc nulls last, s.user_id

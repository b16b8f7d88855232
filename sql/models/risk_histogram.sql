-- The active version's customers whose favourite club is in :club_ids (an empty list returns nothing), by
-- band of churn risk :step points wide (risk 100 falls in the last band).
select (least(floor(s.churn_risk / cast(:step as integer)), 100 / cast(:step as integer) - 1)
        * cast(:step as integer))::integer as risk_from,
       count(*)::integer as customers
from customer_scores s
where s.version = active_model_version()
  and s.club_id = any(cast(:club_ids as int[]))
group by 1
order by 1

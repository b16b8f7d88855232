-- The groups of campaign :campaign_id, when every club of the campaign is among :club_ids.
select a.user_id, a.treated, a.club_id, a.churn_risk::float8 as churn_risk, a.risk_band,
       a.clv_12m::float8 as clv_12m
from campaign_assignments a
join campaigns c on c.id = a.campaign_id
where a.campaign_id = :campaign_id
  and c.club_ids <@ cast(:club_ids as int[])
order by a.user_id

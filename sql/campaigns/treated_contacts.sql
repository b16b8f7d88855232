-- The contact list of campaign :campaign_id: its treated customers only (the control group is never
-- contacted), when every club of the campaign is among :club_ids.
select u.id as user_id, u.full_name, u.email, u.phone, cl.name as favourite_club,
       a.churn_risk::float8 as churn_risk, a.risk_band
from campaign_assignments a
join campaigns c on c.id = a.campaign_id
join users u on u.id = a.user_id
left join clubs cl on cl.id = a.club_id
where a.campaign_id = :campaign_id
  and a.treated
  and c.club_ids <@ cast(:club_ids as int[])
order by a.churn_risk desc, u.id

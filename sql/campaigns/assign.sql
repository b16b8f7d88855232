-- The groups of campaign :campaign_id, written once, in the transaction that created it (a trigger
-- refuses any later insert, update or delete).
insert into campaign_assignments (campaign_id, user_id, treated, club_id, churn_risk, risk_band, clv_12m)
select :campaign_id, a.user_id, a.treated, a.club_id, a.churn_risk, a.risk_band, a.clv_12m
from unnest(cast(:user_ids as int[]), cast(:treated as boolean[]), cast(:home_clubs as int[]),
            cast(:churn_risks as numeric[]), cast(:risk_bands as text[]), cast(:clvs as numeric[]))
     as a(user_id, treated, club_id, churn_risk, risk_band, clv_12m)

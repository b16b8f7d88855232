-- The drawn responses of treated customers (responds, and when a responder comes).
insert into demo_truth.campaign_responses (campaign_id, user_id, responds, visit_at)
select r.campaign_id, r.user_id, r.responds, r.visit_at
from unnest(cast(:campaign_ids as bigint[]), cast(:user_ids as int[]), cast(:responds as boolean[]),
            cast(:visit_ats as timestamptz[])) as r(campaign_id, user_id, responds, visit_at)
on conflict (campaign_id, user_id) do nothing

-- Responders whose extra visit is due at :now and not booked yet, with the club they were assigned at.
select r.campaign_id, r.user_id, a.club_id
from demo_truth.campaign_responses r
join campaign_assignments a on a.campaign_id = r.campaign_id and a.user_id = r.user_id
where r.responds and r.booking_id is null and r.visit_at <= :now
order by r.visit_at, r.campaign_id, r.user_id

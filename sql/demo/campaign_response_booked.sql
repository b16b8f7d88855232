-- A responder's extra visit became booking :booking_id.
update demo_truth.campaign_responses
set booking_id = :booking_id
where campaign_id = :campaign_id and user_id = :user_id

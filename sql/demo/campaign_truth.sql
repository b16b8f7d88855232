-- EVALUATION ONLY: what the demo did for campaign :campaign_id: its true uplift, the treated customers
-- whose response was drawn, the responders, and the extra visits booked so far (with their revenue).
select t.uplift,
       count(r.user_id)::int as drawn,
       count(*) filter (where r.responds)::int as responders,
       count(r.booking_id)::int as booked,
       coalesce(sum(p.paid), 0)::float8 as booked_revenue
from demo_truth.campaign_uplift t
left join demo_truth.campaign_responses r on r.campaign_id = t.campaign_id
left join lateral (
    select sum(p.amount) as paid
    from payments p
    where p.booking_id = r.booking_id and p.payment_status = 'успешно'
) p on true
where t.campaign_id = :campaign_id
group by t.uplift

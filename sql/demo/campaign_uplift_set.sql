-- The demo's true uplift for every campaign running at :now that has none yet (the live feed's setting).
insert into demo_truth.campaign_uplift (campaign_id, uplift)
select c.id, :uplift
from campaigns c
where c.starts_at <= :now and :now < c.ends_at and c.closed_at is null
on conflict (campaign_id) do nothing

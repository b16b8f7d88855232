-- Treated customers of campaigns running at :now whose response the demo has not drawn yet, with the
-- campaign's true uplift and the part of its window still ahead.
select a.campaign_id, a.user_id, t.uplift, greatest(c.starts_at, cast(:now as timestamptz)) as from_ts,
       c.ends_at as to_ts
from campaigns c
join demo_truth.campaign_uplift t on t.campaign_id = c.id
join campaign_assignments a on a.campaign_id = c.id and a.treated
where c.starts_at <= :now and :now < c.ends_at and c.closed_at is null
  and not exists (select 1 from demo_truth.campaign_responses r
                  where r.campaign_id = a.campaign_id and r.user_id = a.user_id)
order by a.campaign_id, a.user_id

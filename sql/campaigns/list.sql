-- Every campaign whose clubs are all among :club_ids (an empty list returns nothing), newest first,
-- with its group sizes and its status at data_as_of(): scheduled, running, ended (the window is over
-- but nobody closed it yet) or closed.
with now_ as (select data_as_of() as at)
select c.id, c.name, c.offer, c.cost_per_contact::float8 as cost_per_contact, c.window_days, c.starts_on,
       c.starts_at, c.ends_at, c.control_share::float8 as control_share, c.seed, c.club_ids, c.audience,
       c.model_version, c.created_by, c.created_at, c.closed_at, c.closed_by, c.result,
       case when c.closed_at is not null then 'closed'
            when now_.at < c.starts_at then 'scheduled'
            when now_.at < c.ends_at then 'running'
            else 'ended' end as status,
       g.treated, g.control
from campaigns c
cross join now_
cross join lateral (
    select count(*) filter (where a.treated)::int as treated,
           count(*) filter (where not a.treated)::int as control
    from campaign_assignments a
    where a.campaign_id = c.id
) g
where c.club_ids <@ cast(:club_ids as int[])
  and (cast(:campaign_id as bigint) is null or c.id = cast(:campaign_id as bigint))
order by c.created_at desc, c.id desc

-- Open incidents and those cleared in the last day, of the clubs in :club_ids (an empty list
-- returns nothing); open ones first.
select i.id,
       i.kind,
       i.club_id,
       i.level,
       i.texts,
       i.opened_at,
       i.last_seen_at,
       i.cleared_at
from alert_incidents i
where i.club_id = any(cast(:club_ids as integer[]))
  and (i.cleared_at is null or i.cleared_at > now() - interval '1 day')
order by i.cleared_at is null desc, i.opened_at desc
limit :limit

-- The latest messages about incidents of the clubs in :club_ids (an empty list returns nothing).
select d.id,
       d.created_at,
       d.sent_at,
       d.status,
       d.attempts,
       d.event,
       d.last_error,
       d.next_attempt_at,
       c.name as channel,
       c.kind as channel_kind,
       i.kind,
       i.club_id,
       i.level,
       i.texts
from alert_deliveries d
join alert_incidents i on i.id = d.incident_id
join alert_channels c on c.id = d.channel_id
where i.club_id = any(cast(:club_ids as integer[]))
order by d.created_at desc, d.id desc
limit :limit

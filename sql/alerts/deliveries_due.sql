-- Messages whose time has come, with their incident and channel, oldest first.
select d.id,
       d.incident_id,
       d.subscription_id,
       d.channel_id,
       d.event,
       d.attempts,
       i.kind,
       i.club_id,
       i.level,
       i.texts,
       i.opened_at,
       i.cleared_at,
       c.kind as channel_kind,
       c.target,
       c.language
from alert_deliveries d
join alert_incidents i on i.id = d.incident_id
join alert_channels c on c.id = d.channel_id
where d.status = 'pending'
  and d.next_attempt_at <= cast(:now as timestamptz)
order by d.next_attempt_at, d.id
limit :limit

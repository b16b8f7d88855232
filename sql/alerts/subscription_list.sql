-- An account's subscriptions with their channels.
select s.id,
       s.channel_id,
       c.name as channel,
       c.kind as channel_kind,
       s.club_ids,
       s.kinds,
       s.min_level,
       s.quiet_from,
       s.quiet_until,
       s.critical_breaks_quiet,
       s.created_at
from alert_subscriptions s
join alert_channels c on c.id = s.channel_id
where c.account_id = :account_id
order by c.name, s.id

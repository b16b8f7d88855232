-- Every subscription with its channel and the channel's owner: what the dispatcher works from.
select s.id,
       s.channel_id,
       c.account_id,
       c.kind as channel_kind,
       c.target,
       c.language,
       s.club_ids,
       s.kinds,
       s.min_level,
       s.quiet_from,
       s.quiet_until,
       s.critical_breaks_quiet
from alert_subscriptions s
join alert_channels c on c.id = s.channel_id
order by s.id

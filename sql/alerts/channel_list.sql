-- An account's channels, by name, with how many subscriptions each has.
select c.id,
       c.name,
       c.kind,
       c.target,
       c.language,
       c.created_at,
       (select count(*) from alert_subscriptions s where s.channel_id = c.id)::integer as subscriptions
from alert_channels c
where c.account_id = :account_id
order by c.name

-- Remove one of an account's subscriptions.
delete from alert_subscriptions s
using alert_channels c
where s.id = :subscription_id
  and c.id = s.channel_id
  and c.account_id = :account_id

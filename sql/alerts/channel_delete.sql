-- Remove one of an account's channels (its subscriptions and messages go with it).
delete from alert_channels
where id = :channel_id
  and account_id = :account_id

-- A subscription on one of the account's channels; no row comes back when the channel is not theirs.
insert into alert_subscriptions (channel_id, club_ids, kinds, min_level, quiet_from, quiet_until,
                                 critical_breaks_quiet)
select c.id,
       cast(:subscribed_clubs as integer[]),  -- null: every club the owner may see
       cast(:kinds as text[]),
       :min_level,
       cast(:quiet_from as time),
       cast(:quiet_until as time),
       :critical_breaks_quiet
from alert_channels c
where c.id = :channel_id
  and c.account_id = :account_id
returning id

-- One "opened" message per incident and channel (a channel with two matching subscriptions still
-- gets one); a message planned before is left as it is.
insert into alert_deliveries (incident_id, subscription_id, channel_id, event, next_attempt_at)
select t.incident_id, t.subscription_id, t.channel_id, 'opened', cast(:now as timestamptz)
from unnest(cast(:incident_ids as bigint[]), cast(:subscription_ids as integer[]),
            cast(:channel_ids as integer[])) as t(incident_id, subscription_id, channel_id)
order by t.subscription_id
on conflict (incident_id, channel_id, event) do nothing

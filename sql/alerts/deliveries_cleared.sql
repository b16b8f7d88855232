-- When an incident is over: its "opened" messages not sent yet are dropped (nothing to tell), and
-- every channel that was told gets one "cleared" message.
with cancelled as (
    update alert_deliveries d
    set status = 'cancelled'
    from alert_incidents i
    where i.id = d.incident_id
      and i.cleared_at is not null
      and d.event = 'opened'
      and d.status = 'pending'
    returning d.id
)
insert into alert_deliveries (incident_id, subscription_id, channel_id, event, next_attempt_at)
select d.incident_id, d.subscription_id, d.channel_id, 'cleared', cast(:now as timestamptz)
from alert_deliveries d
join alert_incidents i on i.id = d.incident_id
where i.cleared_at > cast(:now as timestamptz) - interval '1 day'
  and d.event = 'opened'
  and d.status = 'sent'
on conflict (incident_id, channel_id, event) do nothing

-- The delivery backlog for the health check: messages waiting past their time, being retried, or
-- given up on in the last :failed_hours hours; how many subscriptions there are; the last pass.
with recent as (
    select status, attempts, next_attempt_at, last_error, created_at
    from alert_deliveries
    where status = 'pending'
       or (status = 'failed' and created_at > now() - make_interval(hours => :failed_hours))
)
select count(*) filter (where status = 'pending'
                          and next_attempt_at < now() - make_interval(secs => :overdue_seconds))::integer
           as overdue,
       count(*) filter (where status = 'pending' and attempts > 0)::integer as retrying,
       count(*) filter (where status = 'failed')::integer as failed,
       (select r.last_error from recent r where r.last_error is not null
        order by r.created_at desc limit 1) as last_error,
       (select count(*) from alert_subscriptions)::integer as subscriptions,
       (select last_pass_at from alert_dispatcher) as last_pass_at,
       (select last_error from alert_dispatcher) as pass_error
from recent

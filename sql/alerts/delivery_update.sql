-- The outcome of one attempt (or a postponement): status, attempts, the next try and the last error.
update alert_deliveries
set status = :status,
    attempts = :attempts,
    next_attempt_at = :next_attempt_at,
    last_error = :last_error,
    sent_at = case when :status = 'sent' then cast(:now as timestamptz) else sent_at end
where id = :id

-- Failures of :keys older than :memory_seconds (and no longer locking) are forgotten.
update sign_in_throttle
set failures = 0, locked_until = null
where key = any(cast(:keys as text[]))
  and last_failure_at < now() - make_interval(secs => cast(:memory_seconds as double precision))
  and (locked_until is null or locked_until <= now())

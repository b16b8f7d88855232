-- Forget throttle rows that are neither locked nor remembered any more.
delete from sign_in_throttle
where (locked_until is null or locked_until < now())
  and last_failure_at < now() - make_interval(secs => cast(:memory_seconds as double precision))

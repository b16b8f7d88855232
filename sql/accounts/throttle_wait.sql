-- Seconds until the most locked of :keys accepts a sign-in attempt (0: none is locked).
select coalesce(max(extract(epoch from locked_until - now())), 0)::double precision as wait_seconds
from sign_in_throttle
where key = any(cast(:keys as text[]))
  and locked_until > now()

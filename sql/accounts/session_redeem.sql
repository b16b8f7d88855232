-- Trade a grant for the cookie's token: once, in time, and only for a live session.
update app_sessions
set token_hash = :token_hash,
    grant_hash = null,
    grant_expires_at = null
where grant_hash = :grant_hash
  and grant_expires_at > now()
  and ended_at is null
  and expires_at > now()
returning id, expires_at

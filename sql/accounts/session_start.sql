-- A new session with a one-time grant (hashed) that its browser trades for the cookie within
-- :grant_seconds; it ends :max_seconds from now at the latest.
insert into app_sessions (account_id, grant_hash, grant_expires_at, expires_at, address, user_agent)
values (:account_id, :grant_hash, now() + make_interval(secs => cast(:grant_seconds as double precision)),
        now() + make_interval(secs => cast(:max_seconds as double precision)), :address, :user_agent)
returning id, expires_at

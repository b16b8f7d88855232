-- Sessions that ended, idled out or expired more than :keep_days ago go.
delete from app_sessions
where coalesce(ended_at,
               least(expires_at, created_at + make_interval(secs => cast(:max_seconds as double precision)),
                     last_seen_at + make_interval(secs => cast(:idle_seconds as double precision))))
      < now() - make_interval(days => cast(:keep_days as int))

-- How many sessions are live (see accounts/session_account): signed in, not ended, within the absolute
-- limit and used by a person within the idle timeout. For the `oyna_active_sessions` metric.
select count(*) as sessions
from app_sessions s
where s.ended_at is null
  and s.expires_at > now()
  and s.created_at > now() - make_interval(secs => cast(:max_seconds as double precision))
  and s.last_seen_at > now() - make_interval(secs => cast(:idle_seconds as double precision))

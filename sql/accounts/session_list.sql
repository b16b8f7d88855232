-- Live sessions (see accounts/session_account), of one account (:account_id) or of every account (null),
-- the most recently used first.
select s.id as session_id, a.username, a.role, s.created_at, s.last_seen_at, s.expires_at, s.address, s.user_agent
from app_sessions s
join app_accounts a on a.id = s.account_id
where (cast(:account_id as integer) is null or s.account_id = :account_id)
  and s.ended_at is null
  and s.expires_at > now()
  and s.created_at > now() - make_interval(secs => cast(:max_seconds as double precision))
  and s.last_seen_at > now() - make_interval(secs => cast(:idle_seconds as double precision))
order by s.last_seen_at desc, s.id desc

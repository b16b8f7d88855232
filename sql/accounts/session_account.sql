-- The account of a live session, found by its id (:session_id) or its cookie token (:token_hash), with the
-- account's role and club scope as they are now. A session is live until it ends, until :idle_seconds
-- pass without a run a person caused, and until its absolute limit (expires_at, and :max_seconds after
-- it began, should the setting have shrunk since), and the interface language the account chose.
select s.id as session_id,
       a.id, a.username, a.role, a.created_at, a.password_changed_at, a.failed_attempts, a.locked_until,
       a.whole_chain, a.language,
       array(select ac.club_id from app_account_clubs ac where ac.account_id = a.id order by ac.club_id) as club_ids
from app_sessions s
join app_accounts a on a.id = s.account_id
where (cast(:session_id as bigint) is null or s.id = :session_id)
  and (cast(:token_hash as bytea) is null or s.token_hash = :token_hash)
  and s.ended_at is null
  and s.expires_at > now()
  and s.created_at > now() - make_interval(secs => cast(:max_seconds as double precision))
  and s.last_seen_at > now() - make_interval(secs => cast(:idle_seconds as double precision))

-- End every live session of an account.
update app_sessions set ended_at = now(), end_reason = :reason, token_hash = null, grant_hash = null
where account_id = :account_id and ended_at is null

-- End one live session.
update app_sessions set ended_at = now(), end_reason = :reason, token_hash = null, grant_hash = null
where id = :id and ended_at is null

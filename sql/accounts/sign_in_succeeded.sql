-- A successful sign-in clears the throttle (and stores an upgraded hash when one is given).
update app_accounts
set failed_attempts = 0,
    locked_until = null,
    password_hash = coalesce(cast(:new_hash as text), password_hash)
where id = :id
returning id, username, role, created_at, password_changed_at, failed_attempts, locked_until

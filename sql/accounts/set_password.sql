-- A new password hash.
update app_accounts
set password_hash = :password_hash,
    password_changed_at = now(),
    failed_attempts = 0,
    locked_until = null
where username = :username
returning id

-- A new password hash; also clears the sign-in throttle.
update app_accounts
set password_hash = :password_hash,
    password_changed_at = now(),
    failed_attempts = 0,
    locked_until = null
where username = :username

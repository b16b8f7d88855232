-- A new sign-in account; no row comes back when the username is taken.
insert into app_accounts (username, role, password_hash)
values (:username, :role, :password_hash)
on conflict (username) do nothing
returning id, username, role, created_at, password_changed_at, failed_attempts, locked_until

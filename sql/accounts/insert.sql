-- A new sign-in account (of the whole chain unless :whole_chain is false); no row comes back when the
-- username is taken.
insert into app_accounts (username, role, password_hash, whole_chain)
values (:username, :role, :password_hash, :whole_chain)
on conflict (username) do nothing
returning id, username, role, created_at, password_changed_at, failed_attempts, locked_until, whole_chain

-- A new role for an account; the old one comes back for the activity log.
update app_accounts a
set role = :role
from (select id, role from app_accounts where username = :username for update) old
where a.id = old.id
returning a.id, old.role as old_role

-- Every sign-in account, without password hashes.
select id, username, role, created_at, password_changed_at, failed_attempts, locked_until
from app_accounts
order by username

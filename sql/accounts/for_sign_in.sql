-- The account being signed in to, locked for the rest of the transaction so that
-- concurrent attempts on one username are counted one after another.
select id, username, role, password_hash, created_at, password_changed_at, failed_attempts, locked_until,
       greatest(0, extract(epoch from locked_until - now()))::double precision as wait_seconds
from app_accounts
where username = :username
for update

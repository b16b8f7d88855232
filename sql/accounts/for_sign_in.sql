-- The account being signed in to (its hash is checked after this transaction ends, so no connection is
-- held while hashing).
select id, username, password_hash
from app_accounts
where username = :username

-- Every sign-in account, without password hashes, with its club scope (null: the whole chain) and its
-- name's sign-in throttle (core.accounts.throttle.name_key).
select a.id, a.username, a.role, a.created_at, a.password_changed_at, a.whole_chain,
       array(select ac.club_id from app_account_clubs ac where ac.account_id = a.id order by ac.club_id) as club_ids,
       array(select c.name from app_account_clubs ac join clubs c on c.id = ac.club_id
             where ac.account_id = a.id order by c.name) as club_names,
       coalesce(t.failures, 0) as failed_attempts,
       t.locked_until
from app_accounts a
left join sign_in_throttle t on t.key = 'name:' || encode(sha256(convert_to(a.username, 'UTF8')), 'hex')
order by a.username

-- A successful sign-in stores an upgraded hash when one is given; nothing comes back when the password
-- changed while it was being checked (the attempt then counts as failed).
update app_accounts
set password_hash = coalesce(cast(:new_hash as text), password_hash)
where id = :id
  and password_hash = :checked_hash
returning id, username, role, created_at, password_changed_at, failed_attempts, locked_until, whole_chain,
          array(select ac.club_id from app_account_clubs ac where ac.account_id = app_accounts.id
                order by ac.club_id) as club_ids

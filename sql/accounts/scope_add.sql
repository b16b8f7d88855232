-- Give an account these clubs (those that exist).
insert into app_account_clubs (account_id, club_id)
select :account_id, c.id from clubs c where c.id = any(cast(:club_ids as int[]))
on conflict do nothing

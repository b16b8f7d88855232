-- Whose session this is (for the right to end it).
select s.account_id, a.username from app_sessions s join app_accounts a on a.id = s.account_id where s.id = :id

-- Remove one sign-in account.
delete from app_accounts where username = :username

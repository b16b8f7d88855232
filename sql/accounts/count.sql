-- How many sign-in accounts exist.
select count(*) as n from app_accounts

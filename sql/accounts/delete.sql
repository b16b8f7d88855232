-- Remove one sign-in account (its sessions and club scope go with it).
delete from app_accounts where username = :username returning id

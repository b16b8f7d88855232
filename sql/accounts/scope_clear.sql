-- Forget an account's clubs (before writing its new scope).
delete from app_account_clubs where account_id = :account_id

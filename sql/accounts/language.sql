-- The interface language an account chose (null: follow the browser).
select language from app_accounts where id = :id

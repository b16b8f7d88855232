-- The interface language each sign-in account chose (a code such as 'en', 'ru', 'kk');
-- null: follow the browser's Accept-Language.
alter table app_accounts add column if not exists language text
    check (language ~ '^[a-z]{2,3}$');

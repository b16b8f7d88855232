-- Keep an account's interface language (null: follow the browser again).
update app_accounts set language = :language where id = :id

-- Whether an account sees the whole chain; its club list is replaced next (accounts/scope_clubs).
update app_accounts set whole_chain = :whole_chain where username = :username returning id

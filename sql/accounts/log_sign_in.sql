-- Record one sign-in attempt (username only for existing accounts) and the client's address.
insert into sign_in_log (username, succeeded, reason, address)
values (:username, :succeeded, :reason, :address)

-- Record one sign-in attempt (username only for existing accounts).
insert into sign_in_log (username, succeeded, reason)
values (:username, :succeeded, :reason)

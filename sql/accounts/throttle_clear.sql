-- Forget a name's sign-in failures (a manager set a new password).
delete from sign_in_throttle where key = :key

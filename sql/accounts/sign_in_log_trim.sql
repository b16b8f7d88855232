-- Sign-in attempts older than the retention setting go.
delete from sign_in_log where at < now() - make_interval(days => cast(:days as int))

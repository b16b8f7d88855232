-- The dispatcher finished a pass (with the error that stopped it, if one did).
update alert_dispatcher
set last_pass_at = :now,
    last_error = :error

-- Incidents that have not been seen for a while are over.
update alert_incidents
set cleared_at = :now
where id = any(cast(:ids as bigint[]))
  and cleared_at is null

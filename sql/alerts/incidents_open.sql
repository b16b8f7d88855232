-- The open incidents, locked for this pass of the dispatcher.
select id, key, kind, club_id, level, last_seen_at
from alert_incidents
where cleared_at is null
for update

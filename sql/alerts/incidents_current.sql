-- The open incidents (after this pass's changes), for planning their messages.
select id, kind, club_id, level
from alert_incidents
where cleared_at is null
order by id

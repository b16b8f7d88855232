-- The halls of some clubs.
select id, club_id, name, hall_type
from halls
where club_id = any(cast(:clubs as int[]))
order by id

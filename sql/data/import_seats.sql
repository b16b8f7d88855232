-- The seats of some halls, in the order free seats are filled.
select id as seat_id, hall_id, label, is_active
from seats
where hall_id = any(cast(:hall_ids as int[]))
order by hall_id, id

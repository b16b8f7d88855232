-- Clubs by name (case-insensitive), for `oyna user add|scope --clubs`.
select c.id as club_id, c.name as club_name
from clubs c
where lower(c.name) = any(cast(:names as text[]))
order by c.name

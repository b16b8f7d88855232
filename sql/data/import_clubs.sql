-- Every club with its time zone (the importer matches names case-insensitively).
select id, name, timezone, opened_on
from clubs
order by id

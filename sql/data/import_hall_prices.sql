-- The hourly price of halls an import created: the median its file paid per hour there (0 without amounts).
update halls h
set hourly_price = p.price
from unnest(cast(:hall_ids as int[]), cast(:prices as numeric[])) as p(hall_id, price)
where h.id = p.hall_id

-- How fresh the data is: data_as_of() ("now" as the pages see it), the newest booking's arrival
-- (among the last thousand by id, so the primary key answers it), and the server's clock.
select data_as_of() as as_of,
       (select max(b.created_at) from (select created_at from bookings order by id desc limit 1000) b)
           as latest_booking,
       now() as server_now

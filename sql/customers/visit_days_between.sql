-- Days with a visit per customer in [start, end): the count BG/NBD predicts.
select user_id, count(distinct date) as visit_days
from club_bookings
where status in ('завершено', 'активно')
  and start_time >= :start
  and start_time < :end
group by user_id

-- Live bookings whose time is over become completed (the audit trigger records it).
update bookings
set status = 'завершено'
where status = 'активно'
  and end_time <= :now

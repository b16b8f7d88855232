-- A walk-in: the first free seat of the hall, its booking and its payment, in one statement.
with free_seat as (
    select s.id
    from seats s
    where s.hall_id = :hall_id
      and s.is_active
      and not exists (
          select 1 from bookings b
          where b.seat_id = s.id
            and b.status <> 'отменено'
            and b.start_time < :end_time
            and :start_time < b.end_time
      )
    order by s.id
    limit 1
),
booking as (
    insert into bookings (user_id, seat_id, date, start_time, end_time, status, package, price, created_at)
    select :user_id, f.id, (cast(:start_time as timestamptz) at time zone c.timezone)::date,
           :start_time, :end_time, 'активно', 'hourly', :price, :start_time
    from free_seat f
    join halls h on h.id = :hall_id
    join clubs c on c.id = h.club_id
    returning id, price
)
insert into payments (booking_id, amount, paid_at, payment_status, method)
select id, price, :start_time, 'успешно', :method
from booking
returning booking_id

-- Rows written by hand the way a chain's own application writes them into the seed's tables (after the
-- simulated history that tests/platform/seed_database.py copies in): local times without a time zone, a
-- club without opening hours or time zone, a hall without a price, seats with the chain's own numbers,
-- customers without e-mail, a status of the chain's own, a seat booked twice over, a refund written as a
-- negative amount, a payment still without a time, and audit rows in both audit tables.

insert into clubs (name, city, address, phone)
values ('Oyna Old Town', 'Алматы', 'ул. Абая, 1', '+7 727 300 00 00');

insert into halls (club_id, name, hourly_price)
select id, 'Основной зал', 900.00 from clubs where name = 'Oyna Old Town'
union all
select id, 'Зал без цены', null from clubs where name = 'Oyna Old Town';

insert into seats (hall_id, seat_number, is_active)
select h.id, 'A-' || n, n <> 3
from halls h
join clubs c on c.id = h.club_id
cross join generate_series(1, 3) as n
where c.name = 'Oyna Old Town';

insert into users (full_name, email, phone)
values ('Айгерим Сапарова', null, '+7 701 111 22 33'),
       ('Гость', null, null);

-- A completed evening session, then the same seat booked again over it with the chain's own status.
insert into bookings (user_id, seat_id, date, start_time, end_time, status, price)
select u.id, s.id, current_date - 20, (current_date - 20) + time '19:00', (current_date - 20) + time '22:30',
       'завершено', 3150.00
from users u, seats s
where u.full_name = 'Айгерим Сапарова' and s.seat_number = 'A-1';

insert into bookings (user_id, seat_id, date, start_time, end_time, status, price)
select u.id, s.id, current_date - 20, (current_date - 20) + time '21:00', (current_date - 20) + time '23:00',
       'подтверждено', null
from users u, seats s
where u.full_name = 'Гость' and s.seat_number = 'A-1';

insert into payments (booking_id, amount, payment_method, payment_status, paid_at)
select b.id, 3150.00, 'kaspi', 'успешно', (current_date - 20) + time '19:02'
from bookings b where b.status = 'завершено' and b.price = 3150.00 and b.seat_id in (select id from seats where seat_number = 'A-1')
union all
select b.id, -1000.00, 'kaspi', 'возврат', (current_date - 19) + time '10:00'
from bookings b where b.status = 'завершено' and b.price = 3150.00 and b.seat_id in (select id from seats where seat_number = 'A-1')
union all
select b.id, 1800.00, null, 'ожидание', null
from bookings b where b.status = 'подтверждено';

insert into audit_logs (table_name, record_id, action, new_values, created_at, user_id)
select 'bookings', b.id, 'update', jsonb_build_object('status', b.status), (current_date - 19) + time '10:00', 1
from bookings b where b.status = 'подтверждено';

insert into audit_logs_partitioned (table_name, record_id, action, new_values, created_at)
values ('payments', 1, 'insert', '{"amount": 1500}', '2024-12-30 23:59:00'),
       ('payments', 2, 'insert', '{"amount": 900}', '2025-01-02 10:15:00');

-- The seed's indexes. Index predicates must be immutable, so the seed's
-- "last 365 / 30 days" conditions are dropped; the columns and INCLUDE lists stay.
-- An index of the same name that is already there (a chain's own seed index) is kept as it is.

create index if not exists idx_bookings_ai_analysis
    on bookings (user_id, date, status) include (start_time, end_time, seat_id);

create index if not exists idx_payments_active
    on payments (booking_id, amount, paid_at) where payment_status = 'успешно';

create index if not exists idx_users_search
    on users using gin (to_tsvector('russian', full_name || ' ' || coalesce(email, '')));

create index if not exists idx_audit_logs_time_series
    on audit_logs (created_at desc, table_name);

-- For the live overview, utilization and the seat guard.
create index if not exists idx_bookings_seat_time on bookings (seat_id, start_time);
create index if not exists idx_bookings_start on bookings (start_time);
create index if not exists idx_payments_paid_at on payments (paid_at);
create index if not exists idx_halls_club on halls (club_id);
create index if not exists idx_seats_hall on seats (hall_id);
create index if not exists idx_payments_booking on payments (booking_id);

-- Row counts of the chain's main tables.
select 'clubs' as table_name, count(*) as row_count from clubs
union all select 'halls', count(*) from halls
union all select 'seats', count(*) from seats
union all select 'customers', count(*) from users
union all select 'bookings', count(*) from bookings
union all select 'payments', count(*) from payments

-- A chain's own database, as the seed (production-ai-guide.md, "DATABASE OPTIMIZATION") builds it.
-- tests/platform/test_seed_schema.py loads this into an empty database, statement by statement outside a
-- transaction (CREATE INDEX CONCURRENTLY needs that), then runs `oyna db migrate` over it.
--
-- Part 1, the six tables: the guide's SQL reads clubs, halls, seats, users, bookings and payments but
-- shows no CREATE TABLE for them. They are written here in the guide's own style (SERIAL keys, VARCHAR,
-- TIMESTAMP without time zone, foreign keys, no CHECKs), with the columns its SQL and code use
-- (b.date, b.status, b.start_time, b.end_time, p.amount, p.payment_status, p.paid_at, full_name, email,
-- audit_logs.created_at and table_name) and the few more a booking system keeps. audit_logs is the
-- plain table the guide's index is on; audit_logs_partitioned is the guide's partitioned one.
--
-- Part 2 is the guide's SQL as it is, with these changes only:
--   * "длю" -> "для" and "автосозданис" -> "автосоздания" in comments (encoding typos);
--   * the two `SELECT cron.schedule(...)` calls are commented out: they need the pg_cron extension;
--   * the partial indexes' `WHERE ... >= CURRENT_DATE - INTERVAL '...'` predicates are written with a
--     fixed date: PostgreSQL refuses the guide's ("functions in index predicate must be marked
--     IMMUTABLE"), so a running seed database can only have them in this form.


-- Part 1: the tables the guide's queries use.

CREATE TABLE clubs (
    id SERIAL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    city VARCHAR(100),
    address VARCHAR(500),
    phone VARCHAR(50),
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE halls (
    id SERIAL PRIMARY KEY,
    club_id INTEGER NOT NULL REFERENCES clubs(id),
    name VARCHAR(255) NOT NULL,
    hourly_price DECIMAL(10,2),
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE seats (
    id SERIAL PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    seat_number VARCHAR(20) NOT NULL,
    is_active BOOLEAN DEFAULT TRUE
);

CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    full_name VARCHAR(255) NOT NULL,
    email VARCHAR(255) UNIQUE,
    phone VARCHAR(50),
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE bookings (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    seat_id INTEGER NOT NULL REFERENCES seats(id),
    date DATE NOT NULL,
    start_time TIMESTAMP NOT NULL,
    end_time TIMESTAMP NOT NULL,
    status VARCHAR(50) DEFAULT 'активно',
    price DECIMAL(10,2),
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE payments (
    id SERIAL PRIMARY KEY,
    booking_id INTEGER NOT NULL REFERENCES bookings(id),
    amount DECIMAL(10,2) NOT NULL,
    payment_method VARCHAR(50),
    payment_status VARCHAR(50) DEFAULT 'ожидание',
    paid_at TIMESTAMP,
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE audit_logs (
    id SERIAL PRIMARY KEY,
    table_name VARCHAR(255),
    record_id INTEGER,
    action VARCHAR(50),
    old_values JSONB,
    new_values JSONB,
    created_at TIMESTAMP DEFAULT NOW(),
    user_id INTEGER
);


-- Part 2: the guide's SQL.

-- 1. Partitioning для больших данных

-- Партиционирование audit_logs по дате
CREATE TABLE audit_logs_partitioned (
    id SERIAL,
    table_name VARCHAR(255),
    record_id INTEGER,
    action VARCHAR(50),
    old_values JSONB,
    new_values JSONB,
    created_at TIMESTAMP DEFAULT NOW(),
    user_id INTEGER
) PARTITION BY RANGE (created_at);

-- Создание партиций по месяцам
CREATE TABLE audit_logs_2024_12 PARTITION OF audit_logs_partitioned
    FOR VALUES FROM ('2024-12-01') TO ('2025-01-01');

CREATE TABLE audit_logs_2025_01 PARTITION OF audit_logs_partitioned
    FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');

-- Автоматическое создание партиций
CREATE OR REPLACE FUNCTION create_monthly_partition()
RETURNS void AS $$
DECLARE
    partition_date date;
    partition_name text;
    start_date text;
    end_date text;
BEGIN
    partition_date := date_trunc('month', CURRENT_DATE + interval '1 month');
    partition_name := 'audit_logs_' || to_char(partition_date, 'YYYY_MM');
    start_date := partition_date::text;
    end_date := (partition_date + interval '1 month')::text;
    
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF audit_logs_partitioned
                    FOR VALUES FROM (%L) TO (%L)',
                   partition_name, start_date, end_date);
END;
$$ LANGUAGE plpgsql;

-- Планировщик для автосоздания партиций (через pg_cron)
-- SELECT cron.schedule('create-partition', '0 0 25 * *', 'SELECT create_monthly_partition();');

-- 2. Materialized Views для производительности

-- Материализованное представление для быстрой аналитики
CREATE MATERIALIZED VIEW mv_daily_club_stats AS
SELECT 
    DATE(b.date) as report_date,
    c.id as club_id,
    c.name as club_name,
    COUNT(DISTINCT b.user_id) as unique_customers,
    COUNT(b.id) as total_bookings,
    SUM(p.amount) as total_revenue,
    AVG(EXTRACT(EPOCH FROM (b.end_time - b.start_time))/3600.0) as avg_session_hours,
    COUNT(DISTINCT s.id) as occupied_seats,
    (COUNT(DISTINCT s.id)::FLOAT / 
     (SELECT COUNT(*) FROM seats WHERE hall_id IN 
      (SELECT id FROM halls WHERE club_id = c.id))) * 100 as utilization_rate
FROM clubs c
LEFT JOIN halls h ON c.id = h.club_id
LEFT JOIN seats s ON h.id = s.hall_id
LEFT JOIN bookings b ON s.id = b.seat_id AND b.status = 'активно'
LEFT JOIN payments p ON b.id = p.booking_id AND p.payment_status = 'успешно'
WHERE b.date >= CURRENT_DATE - INTERVAL '90 days'
GROUP BY DATE(b.date), c.id, c.name
ORDER BY report_date DESC, club_id;

-- Индекс для быстрого поиска
CREATE INDEX idx_mv_daily_club_stats_date_club ON mv_daily_club_stats(report_date, club_id);

-- Автообновление каждые 15 минут
CREATE OR REPLACE FUNCTION refresh_daily_stats()
RETURNS void AS $$
BEGIN
    REFRESH MATERIALIZED VIEW CONCURRENTLY mv_daily_club_stats;
END;
$$ LANGUAGE plpgsql;

-- SELECT cron.schedule('refresh-stats', '*/15 * * * *', 'SELECT refresh_daily_stats();');

-- 3. Advanced Indexing Strategy

-- Композитные индексы для AI запросов
CREATE INDEX CONCURRENTLY idx_bookings_ai_analysis 
ON bookings(user_id, date, status) 
INCLUDE (start_time, end_time, seat_id)
WHERE date >= DATE '2024-01-01';

-- Partial index для активных платежей
CREATE INDEX CONCURRENTLY idx_payments_active 
ON payments(booking_id, amount, paid_at) 
WHERE payment_status = 'успешно';

-- GIN индекс для полнотекстового поиска
CREATE INDEX CONCURRENTLY idx_users_search 
ON users USING GIN(to_tsvector('russian', full_name || ' ' || COALESCE(email, '')));

-- Индекс для временных рядов
CREATE INDEX CONCURRENTLY idx_audit_logs_time_series 
ON audit_logs(created_at DESC, table_name) 
WHERE created_at >= TIMESTAMP '2024-12-01';

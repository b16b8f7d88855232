-- 023: the rollup layer (docs/schema.md, "Rollups"). Pages read precomputed aggregates instead of raw bookings:
--   rollup_hall_hours       hall x club-local day x local hour
--   rollup_seat_days        seat x club-local day
--   rollup_club_days        club x club-local day (mv_daily_club_stats is now a materialized view over it)
--   rollup_customer_months  customer x club-local month x club
-- Statement-level triggers on bookings, payments, clubs, halls, seats and time_bands queue the days (and the
-- customers' months) a write touches; refresh_rollups() (or core.rollups.refresh) rebuilds only those, one
-- transaction per batch. The triggers never refuse a write: anything that goes wrong in them queues a
-- rebuild of everything instead.

drop materialized view if exists mv_hourly_utilization;
drop materialized view if exists mv_daily_club_stats;
delete from mv_refresh_log where view_name = 'mv_hourly_utilization';


-- ---------------------------------------------------------------- the queues

-- Days to rebuild. day '-infinity' stands for every day of the club, and club 0 with '-infinity' for every
-- club. Rows are only ever added by the triggers (no unique key: a writer never waits for another writer or
-- for a refresh) and taken by a refresh, which rebuilds a day once however often it was queued.
create table rollup_changes (
    club_id    integer not null,
    day        date not null,
    queued_at  timestamptz not null default now()
);
create index rollup_changes_day on rollup_changes (day, club_id);

-- Customers' months to rebuild: user 0 with a month stands for every customer's rows of that month, and user 0
-- with '-infinity' for everything.
create table rollup_customer_changes (
    user_id    integer not null,
    month      date not null,
    queued_at  timestamptz not null default now()
);
create index rollup_customer_changes_month on rollup_customer_changes (month, user_id);

-- Each club's days, as the last plan found them: from its first booking (or its opening, within the chain's
-- data) to the later of its last booking and its local today (mv_daily_club_stats' days since 005).
create table rollup_club_spans (
    club_id    integer primary key,
    first_day  date not null,
    last_day   date not null
);


-- ---------------------------------------------------------------- the rollups

-- One row per hall, club-local day and local hour (0-23) that the club was open (a day of its span) or that
-- any booking touches. Bookings split over the local wall-clock hours they cover, as the pages did:
-- a 19:30-22:00 booking gives 0.5 h to hour 19, 1 h to 20 and 1 h to 21; its payments follow the same
-- shares (part of the hour / the booking's length). "carried" parts belong to bookings that started on an
-- earlier local day (the night before), so a window can take bookings by their start date.
create table rollup_hall_hours (
    hall_id               integer not null,
    day                   date not null,
    hour                  smallint not null check (hour between 0 and 23),
    club_id               integer not null,
    is_open               boolean not null,              -- the club's opening hours (club_open_hours) say so
    open_seat_hours       double precision not null,     -- active seats, when open
    bookings              integer not null,              -- seat-holding bookings (not cancelled) starting in the hour
    booked_seat_hours     double precision not null,     -- seat-hours those and earlier bookings hold in the hour
    carried_seat_hours    double precision not null,     -- ... of which bookings that started on an earlier day
    revenue_paid          double precision not null,     -- successful payments, spread (every booking status)
    carried_revenue_paid  double precision not null,     -- ... of which bookings that started on an earlier day
    revenue_refunded      double precision not null,
    revenue_failed        double precision not null,
    revenue_pending       double precision not null,
    cancellations         integer not null,              -- cancelled bookings starting in the hour
    no_shows              integer not null,              -- no-shows starting in the hour
    hourly_bookings       integer not null,              -- seat-holding 'hourly' package bookings starting in the hour
    hourly_booked_hours   double precision not null,     -- ... their whole length
    hourly_price          double precision,              -- ... and list price (null when no price is known)
    primary key (hall_id, day, hour)
);
create index rollup_hall_hours_day on rollup_hall_hours (day, club_id);

-- One row per seat and club-local day that seat-holding bookings touch: hours booked within the day (as
-- instants, so a day is 23 or 25 hours long at a DST change), bookings that start that day and bookings
-- from an earlier day still running into it.
create table rollup_seat_days (
    seat_id           integer not null,
    day               date not null,
    club_id           integer not null,
    hall_id           integer not null,
    bookings          integer not null,
    carried_bookings  integer not null,
    booked_hours      double precision not null,
    primary key (seat_id, day)
);
create index rollup_seat_days_day on rollup_seat_days (day, club_id);

-- One row per club and club-local day of its span. Bookings count on their local `date`, as before.
create table rollup_club_days (
    club_id            integer not null,
    day                date not null,
    bookings           integer not null,          -- not cancelled
    visits             integer not null,          -- live or completed
    customers          integer not null,          -- distinct customers of the bookings
    occupied_seats     integer not null,          -- distinct seats of the bookings
    cancellations      integer not null,
    no_shows           integer not null,
    session_hours      double precision,          -- average length of the visits (local wall clock)
    booked_seat_hours  double precision not null, -- the day's own hours plus the night before's spill-over
    open_seat_hours    double precision not null, -- active seats x the hours club_open_hours marks open
    seats              integer not null,          -- active seats
    revenue            numeric(14, 2) not null,   -- successful payments of the day's bookings
    refunds            numeric(14, 2) not null,   -- refunded payments of the day's bookings
    failed_payments    integer not null,
    pending_payments   integer not null,
    -- data health (core/data/health.py): bookings that overlap an earlier one of their seat (seat_overlaps),
    -- payments that do not match their booking (payment_mismatches), amounts below zero or above
    -- product_threshold('health_max_amount'), visits shorter than 'health_min_visit_minutes' and bookings
    -- longer than 'health_max_visit_hours'
    seat_overlaps           integer not null,
    visits_without_payment  integer not null,
    payments_without_visit  integer not null,
    payments_not_matching   integer not null,
    negative_amounts        integer not null,
    absurd_amounts          integer not null,
    short_visits            integer not null,
    long_visits             integer not null,
    primary key (club_id, day)
);
create index rollup_club_days_day on rollup_club_days (day, club_id);

-- One row per customer, club-local month (of the booking's local date) and club. Visits are live or
-- completed bookings; spend is successful payments of the month's bookings.
create table rollup_customer_months (
    user_id             integer not null,
    month               date not null,
    club_id             integer not null,
    bookings            integer not null,          -- whatever their status
    seat_bookings       integer not null,          -- not cancelled
    visits              integer not null,
    cancellations       integer not null,
    no_shows            integer not null,
    visit_hours         double precision not null, -- real length of the visits
    visit_days          integer not null,          -- distinct local dates with a visit here
    visit_day_bits      integer not null,          -- bit d-1 set when visited on day d (bit_or over clubs: distinct days)
    first_visit         timestamptz,
    last_visit          timestamptz,
    first_seat_booking  timestamptz,               -- of the seat-holding bookings
    last_seat_booking   timestamptz,
    hall_types          jsonb not null,            -- visits by hall type
    bands               jsonb not null,            -- visits by time band of the local start hour (hour_bands)
    spend               numeric(14, 2) not null,
    seat_spend          numeric(14, 2) not null,   -- ... on seat-holding bookings
    visit_spend         numeric(14, 2) not null,   -- ... on visits
    payments            integer not null,          -- payment attempts, whatever their status
    failed_payments     integer not null,
    primary key (user_id, month, club_id)
);
create index rollup_customer_months_month on rollup_customer_months (month, club_id);


-- ---------------------------------------------------------------- marking what changed

-- Bookings: every local day from the start date (or `date`) to the end date of the old and the new rows,
-- and the customers' months. Payments: their bookings' days and months.
create or replace function rollup_mark_bookings() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    begin
        if tg_op in ('INSERT', 'UPDATE') then
            insert into rollup_changes (club_id, day)
            select distinct h.club_id, g.day::date
            from rollup_new n
            join seats s on s.id = n.seat_id
            join halls h on h.id = s.hall_id
            join clubs c on c.id = h.club_id
            cross join lateral generate_series(
                least(n.date, club_local(n.start_time, c.timezone)::date)::timestamp,
                greatest(n.date, club_local(n.end_time, c.timezone)::date)::timestamp, interval '1 day') g(day);
            insert into rollup_customer_changes (user_id, month)
            select distinct n.user_id, date_trunc('month', n.date::timestamp)::date from rollup_new n;
        end if;
        if tg_op in ('UPDATE', 'DELETE') then
            insert into rollup_changes (club_id, day)
            select distinct h.club_id, g.day::date
            from rollup_old o
            join seats s on s.id = o.seat_id
            join halls h on h.id = s.hall_id
            join clubs c on c.id = h.club_id
            cross join lateral generate_series(
                least(o.date, club_local(o.start_time, c.timezone)::date)::timestamp,
                greatest(o.date, club_local(o.end_time, c.timezone)::date)::timestamp, interval '1 day') g(day);
            insert into rollup_customer_changes (user_id, month)
            select distinct o.user_id, date_trunc('month', o.date::timestamp)::date from rollup_old o;
        end if;
    exception when others then
        perform rollup_mark_all(sqlerrm);
    end;
    return null;
end $$;

create or replace function rollup_mark_payments() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    if tg_op = 'INSERT' then
        perform rollup_mark_booking_ids(array(select n.booking_id from rollup_new n));
    elsif tg_op = 'DELETE' then
        perform rollup_mark_booking_ids(array(select o.booking_id from rollup_old o));
    else
        perform rollup_mark_booking_ids(array(select n.booking_id from rollup_new n
                                              union select o.booking_id from rollup_old o));
    end if;
    return null;
end $$;

-- The days and months of some bookings (their payments changed). Never raises.
create or replace function rollup_mark_booking_ids(ids bigint[]) returns void
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    insert into rollup_changes (club_id, day)
    select distinct h.club_id, g.day::date
    from bookings b
    join seats s on s.id = b.seat_id
    join halls h on h.id = s.hall_id
    join clubs c on c.id = h.club_id
    cross join lateral generate_series(
        least(b.date, club_local(b.start_time, c.timezone)::date)::timestamp,
        greatest(b.date, club_local(b.end_time, c.timezone)::date)::timestamp, interval '1 day') g(day)
    where b.id = any(ids);
    insert into rollup_customer_changes (user_id, month)
    select distinct b.user_id, date_trunc('month', b.date::timestamp)::date
    from bookings b
    where b.id = any(ids);
exception when others then
    perform rollup_mark_all(sqlerrm);
end $$;

-- Clubs: a new or removed club, or a change of its time zone, opening hours or opening day, rebuilds the
-- club's days (and its customers' months when the time zone moves their local dates' hours).
create or replace function rollup_mark_clubs() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    begin
        if tg_op = 'INSERT' then
            insert into rollup_changes (club_id, day) select distinct n.id, '-infinity'::date from rollup_new n;
        elsif tg_op = 'DELETE' then
            insert into rollup_changes (club_id, day) select distinct o.id, '-infinity'::date from rollup_old o;
        else
            insert into rollup_changes (club_id, day)
            select distinct n.id, '-infinity'::date
            from rollup_new n join rollup_old o on o.id = n.id
            where (n.timezone, n.opens_at, n.closes_at, n.opened_on)
                  is distinct from (o.timezone, o.opens_at, o.closes_at, o.opened_on);
            if exists (select from rollup_new n join rollup_old o on o.id = n.id where n.timezone is distinct from o.timezone)
            then
                insert into rollup_customer_changes (user_id, month) values (0, '-infinity');
            end if;
        end if;
    exception when others then
        perform rollup_mark_all(sqlerrm);
    end;
    return null;
end $$;

-- Halls: their club's days (its seats and halls change the open seat-hours); a hall that changes its type or
-- club changes its customers' counts by hall type and club: every customer is rebuilt.
create or replace function rollup_mark_halls() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    begin
        if tg_op in ('INSERT', 'UPDATE') then
            insert into rollup_changes (club_id, day) select distinct n.club_id, '-infinity'::date from rollup_new n;
        end if;
        if tg_op in ('UPDATE', 'DELETE') then
            insert into rollup_changes (club_id, day) select distinct o.club_id, '-infinity'::date from rollup_old o;
        end if;
        if tg_op = 'UPDATE' and exists (select from rollup_new n join rollup_old o on o.id = n.id
                                        where (n.club_id, n.hall_type) is distinct from (o.club_id, o.hall_type)) then
            insert into rollup_customer_changes (user_id, month) values (0, '-infinity');
        end if;
    exception when others then
        perform rollup_mark_all(sqlerrm);
    end;
    return null;
end $$;

-- Seats: the club's days (open seat-hours). A seat moved to a hall of another club moves its bookings too.
create or replace function rollup_mark_seats() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    begin
        if tg_op in ('INSERT', 'UPDATE') then
            insert into rollup_changes (club_id, day)
            select distinct h.club_id, '-infinity'::date from rollup_new n join halls h on h.id = n.hall_id;
        end if;
        if tg_op in ('UPDATE', 'DELETE') then
            insert into rollup_changes (club_id, day)
            select distinct h.club_id, '-infinity'::date from rollup_old o join halls h on h.id = o.hall_id;
        end if;
        if tg_op = 'UPDATE' and exists (select from rollup_new n join rollup_old o on o.id = n.id
                                        where n.hall_id is distinct from o.hall_id) then
            insert into rollup_customer_changes (user_id, month) values (0, '-infinity');
        end if;
    exception when others then
        perform rollup_mark_all(sqlerrm);
    end;
    return null;
end $$;

-- Time bands: the customers' counts by band.
create or replace function rollup_mark_time_bands() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    perform rollup_mark_all(null, customers_only => true);
    return null;
end $$;

-- TRUNCATE of a table the rollups read: everything.
create or replace function rollup_mark_truncate() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    perform rollup_mark_all(null);
    return null;
end $$;

-- Queue a rebuild of everything (why: a trigger's error, null for a plain request). Never raises.
create or replace function rollup_mark_all(why text, customers_only boolean default false) returns void
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    if not customers_only then
        insert into rollup_changes (club_id, day) values (0, '-infinity');
    end if;
    insert into rollup_customer_changes (user_id, month) values (0, '-infinity');
    if why is not null then
        raise warning 'rollups: % (everything will be rebuilt)', why;
    end if;
exception when others then
    raise warning 'rollups: cannot queue a rebuild: %', sqlerrm;
end $$;


-- ---------------------------------------------------------------- planning: markers and spans

-- Expands the markers into days (and months), and queues the days that enter or leave a club's span (a new
-- day, a first booking earlier than before, a club that closed its history). Returns how many rows it queued.
create or replace function rollup_plan() returns integer
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    queued integer := 0;
    n integer;
    span_clubs integer[];
    span_first date[];
    span_last date[];
begin
    perform pg_advisory_xact_lock(7351003);
    -- every club: each one whole (a club gone too, so that its rows go)
    if exists (select from rollup_changes where club_id = 0 and day = '-infinity') then
        delete from rollup_changes where club_id = 0 and day = '-infinity';
        insert into rollup_changes (club_id, day)
        select id, '-infinity'::date from clubs
        union
        select club_id, '-infinity'::date from rollup_club_spans;
    end if;

    -- each club's span now: its first and last booking, one step down the index on (seat_id, start_time) per seat
    with seat_ends as (
        select h.club_id,
               (select b.date from bookings b where b.seat_id = s.id order by b.start_time limit 1) as first_day,
               (select b.date from bookings b where b.seat_id = s.id order by b.start_time desc limit 1) as last_day
        from seats s
        join halls h on h.id = s.hall_id
    ),
    booked as (
        select club_id, min(first_day) as first_day, max(last_day) as last_day from seat_ends group by club_id
    ),
    moment as (select data_as_of() as at),
    spans as (
        select c.id as club_id,
               least(bk.first_day, greatest(c.opened_on, (select min(first_day) from booked))) as first_day,
               greatest(bk.last_day, (m.at at time zone c.timezone)::date) as last_day
        from clubs c
        cross join moment m
        left join booked bk on bk.club_id = c.id
    )
    select array_agg(club_id order by club_id), array_agg(first_day order by club_id),
           array_agg(last_day order by club_id)
    into span_clubs, span_first, span_last
    from spans
    where first_day <= last_day;

    -- whole clubs: every day of the old and the new span, and two after (a booking's night spill-over)
    with whole as (
        delete from rollup_changes where day = '-infinity' returning club_id
    ),
    bounds as (
        select w.club_id,
               least(o.first_day, s.first_day, d.first_day) as first_day,
               greatest(o.last_day, s.last_day, d.last_day) + 2 as last_day
        from (select distinct club_id from whole) w
        left join rollup_club_spans o on o.club_id = w.club_id
        left join unnest(span_clubs, span_first, span_last) s(club_id, first_day, last_day) on s.club_id = w.club_id
        left join lateral (select min(r.day) as first_day, max(r.day) as last_day
                           from rollup_club_days r where r.club_id = w.club_id) d on true
    )
    insert into rollup_changes (club_id, day)
    select b.club_id, g.day::date
    from bounds b
    cross join lateral generate_series(b.first_day::timestamp, b.last_day::timestamp, interval '1 day') g(day)
    where b.first_day is not null;
    get diagnostics n = row_count;
    queued := queued + n;

    -- days that enter or leave a span
    insert into rollup_changes (club_id, day)
    select coalesce(s.club_id, o.club_id), g.day::date
    from unnest(span_clubs, span_first, span_last) s(club_id, first_day, last_day)
    full join rollup_club_spans o on o.club_id = s.club_id
    cross join lateral generate_series(least(s.first_day, o.first_day)::timestamp,
                                       greatest(s.last_day, o.last_day)::timestamp, interval '1 day') g(day)
    where (s.first_day, s.last_day) is distinct from (o.first_day, o.last_day)
      and (g.day::date between s.first_day and s.last_day)
          is distinct from (g.day::date between o.first_day and o.last_day);
    get diagnostics n = row_count;
    queued := queued + n;

    delete from rollup_club_spans o where o.club_id <> all(coalesce(span_clubs, '{}'));
    insert into rollup_club_spans as o (club_id, first_day, last_day)
    select * from unnest(span_clubs, span_first, span_last)
    on conflict (club_id) do update set first_day = excluded.first_day, last_day = excluded.last_day
        where (o.first_day, o.last_day) is distinct from (excluded.first_day, excluded.last_day);

    -- every customer: one set-based rebuild per month of the bookings (and of the rollup, so emptied ones go)
    if exists (select from rollup_customer_changes where user_id = 0 and month = '-infinity') then
        delete from rollup_customer_changes where user_id = 0 and month = '-infinity';
        insert into rollup_customer_changes (user_id, month)
        select 0, g.month::date
        from (select min(b.start_time)::date - 1 as lo, max(b.start_time)::date + 1 as hi from bookings b) r
        cross join lateral generate_series(date_trunc('month', r.lo::timestamp), r.hi::timestamp,
                                           interval '1 month') g(month)
        where r.lo is not null
        union
        select distinct 0, m.month from rollup_customer_months m;
        get diagnostics n = row_count;
        queued := queued + n;
    end if;
    return queued;
end $$;


-- ---------------------------------------------------------------- rebuilding a batch of days

-- Takes up to `batch_days` queued (club, day) pairs (the earliest days first, so a batch reads one stretch
-- of bookings), deletes their rows and computes them again from the bookings and payments; in the
-- caller's transaction, so a batch that does not commit leaves the rollups and the queue as they were.
-- One refresh at a time (an advisory lock). Returns how many days it rebuilt (0: none queued).
-- The setting oyna.rollup_test_pause (seconds) makes a batch wait after its deletes: tests kill it there.
create or replace function rollup_refresh_days(batch_days integer default 500) returns integer
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    batch_clubs integer[];
    batch_days_ date[];
    pause text;
    max_amount numeric := product_threshold('health_max_amount');
    min_minutes integer := product_threshold('health_min_visit_minutes');
    max_hours integer := product_threshold('health_max_visit_hours');
begin
    perform pg_advisory_xact_lock(7351003);
    perform set_config('work_mem', '256MB', true);
    with picked as (
        select distinct q.club_id, q.day
        from rollup_changes q
        where q.day > '-infinity'
        order by q.day, q.club_id
        limit greatest(batch_days, 1)
    ),
    taken as (
        delete from rollup_changes q using picked p
        where q.club_id = p.club_id and q.day = p.day
        returning q.club_id, q.day
    )
    select array_agg(t.club_id order by t.day, t.club_id), array_agg(t.day order by t.day, t.club_id)
    into batch_clubs, batch_days_
    from (select distinct club_id, day from taken) t;
    if batch_clubs is null then
        return 0;
    end if;

    delete from rollup_hall_hours r using unnest(batch_clubs, batch_days_) k(club_id, day)
    where r.day = k.day and r.club_id = k.club_id;
    delete from rollup_seat_days r using unnest(batch_clubs, batch_days_) k(club_id, day)
    where r.day = k.day and r.club_id = k.club_id;
    delete from rollup_club_days r using unnest(batch_clubs, batch_days_) k(club_id, day)
    where r.day = k.day and r.club_id = k.club_id;

    pause := current_setting('oyna.rollup_test_pause', true);
    if coalesce(pause, '') <> '' then
        perform pg_sleep(pause::double precision);
    end if;

    with keys as materialized (
        select k.club_id, k.day, coalesce(k.day between s.first_day and s.last_day, false) as in_span
        from unnest(batch_clubs, batch_days_) k(club_id, day)
        left join rollup_club_spans s on s.club_id = k.club_id
    ),
    runs as (  -- the batch's days in stretches more than four days apart: one range of start times each
        select min(day) as first_day, max(day) as last_day
        from (select day, sum(gap) over (order by day) as run
              from (select day, coalesce((day - lag(day) over (order by day) > 4)::int, 0) as gap
                    from (select distinct day from keys) d) g) r
        group by run
    ),
    found as materialized (  -- bookings that start near the batch's days at its clubs, with their payments
        select b.booking_id, b.user_id, b.seat_id, b.hall_id, b.club_id, b.timezone, b.date, b.start_time,
               b.end_time, b.local_start, b.local_end, b.status, b.status <> 'отменено' as held,
               b.status <> 'отменено' and b.package = 'hourly' as hourly, b.price::float8 as price,
               b.price as list_price, date_part('epoch', b.end_time - b.start_time) / 3600 as hours,
               pay.paid, pay.refunded, pay.failed, pay.pending, pay.failed_n, pay.pending_n, pay.settled_n,
               pay.settled, pay.kept_n, pay.negative_n, pay.absurd_n
        from runs r
        cross join lateral (
            select cb.* from club_bookings cb
            where cb.start_time >= (r.first_day - 2)::timestamp at time zone 'UTC'
              and cb.start_time < (r.last_day + 2)::timestamp at time zone 'UTC'
              and cb.club_id = any(batch_clubs)
            offset 0  -- planned per stretch, with its bounds known
        ) b
        cross join lateral (
            select coalesce(sum(p.amount) filter (where p.payment_status = 'успешно'), 0) as paid,
                   coalesce(sum(p.amount) filter (where p.payment_status = 'возврат'), 0) as refunded,
                   coalesce(sum(p.amount) filter (where p.payment_status = 'ошибка'), 0) as failed,
                   coalesce(sum(p.amount) filter (where p.payment_status = 'ожидание'), 0) as pending,
                   count(*) filter (where p.payment_status = 'ошибка') as failed_n,
                   count(*) filter (where p.payment_status = 'ожидание') as pending_n,
                   count(*) filter (where p.payment_status in ('успешно', 'возврат')) as settled_n,
                   sum(p.amount) filter (where p.payment_status in ('успешно', 'возврат')) as settled,
                   count(*) filter (where p.amount < 0) as negative_n,
                   count(*) filter (where p.payment_status = 'успешно') as kept_n,
                   count(*) filter (where p.amount > max_amount) as absurd_n
            from payments p
            where p.booking_id = b.booking_id
        ) pay
    ),
    overlapping as materialized (  -- seat-holding bookings that start before an earlier one of their seat ends
        select booking_id
        from (select booking_id, start_time,
                     max(end_time) over (partition by seat_id order by start_time, booking_id
                                         rows between unbounded preceding and 1 preceding) as previous_end
              from found where held) o
        where start_time < previous_end
    ),
    parts as materialized (  -- each booking's part of every local hour it covers, on the batch's days
        select * from (
            select f.club_id, f.hall_id, g.slot::date as day, extract(hour from g.slot)::int as hour,
                   f.status, f.held, f.hourly, f.hours, f.price, f.paid::float8 as paid,
                   f.refunded::float8 as refunded, f.failed::float8 as failed, f.pending::float8 as pending,
                   g.slot = date_trunc('hour', f.local_start) as is_start,
                   g.slot::date > f.local_start::date as carried,
                   date_part('epoch', least(f.local_end, g.slot + interval '1 hour') - greatest(f.local_start, g.slot))
                       / 3600 as part_hours
            from found f
            cross join lateral generate_series(date_trunc('hour', f.local_start),
                                               f.local_end - interval '1 microsecond', interval '1 hour') g(slot)
            offset 0  -- every booking's hours first, then the batch's days (not every booking times every day)
        ) p
        where (p.club_id, p.day) in (select k.club_id, k.day from keys k)
    ),
    hall_booked as materialized (
        select p.club_id, p.hall_id, p.day, p.hour,
               count(*) filter (where p.is_start and p.held) as bookings,
               coalesce(sum(p.part_hours) filter (where p.held), 0) as booked_seat_hours,
               coalesce(sum(p.part_hours) filter (where p.held and p.carried), 0) as carried_seat_hours,
               coalesce(sum(p.paid * p.part_hours / nullif(p.hours, 0)), 0) as revenue_paid,
               coalesce(sum(p.paid * p.part_hours / nullif(p.hours, 0)) filter (where p.carried), 0)
                   as carried_revenue_paid,
               coalesce(sum(p.refunded * p.part_hours / nullif(p.hours, 0)), 0) as revenue_refunded,
               coalesce(sum(p.failed * p.part_hours / nullif(p.hours, 0)), 0) as revenue_failed,
               coalesce(sum(p.pending * p.part_hours / nullif(p.hours, 0)), 0) as revenue_pending,
               count(*) filter (where p.is_start and p.status = 'отменено') as cancellations,
               count(*) filter (where p.is_start and p.status = 'неявка') as no_shows,
               count(*) filter (where p.is_start and p.hourly) as hourly_bookings,
               coalesce(sum(p.hours) filter (where p.is_start and p.hourly), 0) as hourly_booked_hours,
               sum(p.price) filter (where p.is_start and p.hourly) as hourly_price
        from parts p
        group by p.club_id, p.hall_id, p.day, p.hour
    ),
    hall_open as (  -- every hall of a club in the hours it is open, on the days of its span
        select k.club_id, hs.hall_id, k.day, oh.hour, hs.seats
        from keys k
        join hall_seats hs on hs.club_id = k.club_id
        join club_open_hours oh on oh.club_id = k.club_id and oh.is_open
        where k.in_span
    ),
    hall_rows as (
        insert into rollup_hall_hours (
            hall_id, day, hour, club_id, is_open, open_seat_hours, bookings, booked_seat_hours, carried_seat_hours,
            revenue_paid, carried_revenue_paid, revenue_refunded, revenue_failed, revenue_pending, cancellations,
            no_shows, hourly_bookings, hourly_booked_hours, hourly_price)
        select coalesce(o.hall_id, b.hall_id), coalesce(o.day, b.day), coalesce(o.hour, b.hour),
               coalesce(o.club_id, b.club_id), o.hall_id is not null, coalesce(o.seats, 0),
               coalesce(b.bookings, 0), coalesce(b.booked_seat_hours, 0), coalesce(b.carried_seat_hours, 0),
               coalesce(b.revenue_paid, 0), coalesce(b.carried_revenue_paid, 0), coalesce(b.revenue_refunded, 0),
               coalesce(b.revenue_failed, 0), coalesce(b.revenue_pending, 0), coalesce(b.cancellations, 0),
               coalesce(b.no_shows, 0), coalesce(b.hourly_bookings, 0), coalesce(b.hourly_booked_hours, 0),
               b.hourly_price
        from hall_open o
        full join hall_booked b on b.hall_id = o.hall_id and b.day = o.day and b.hour = o.hour
    ),
    seat_parts as materialized (  -- seat-holding bookings' hours within each local day they touch (as instants),
                                  -- on the batch's days
        select * from (
            select f.seat_id, f.hall_id, f.club_id, g.day::date as day,
                   f.local_start::date < g.day::date as carried,
                   date_part('epoch', least(f.end_time, (g.day::date + 1)::timestamp at time zone f.timezone)
                                      - greatest(f.start_time, g.day::date::timestamp at time zone f.timezone)) / 3600
                       as hours
            from found f
            cross join lateral generate_series(f.local_start::date::timestamp,
                                               (f.local_end - interval '1 microsecond')::date::timestamp,
                                               interval '1 day') g(day)
            where f.held
            offset 0
        ) p
        where (p.club_id, p.day) in (select k.club_id, k.day from keys k)
    ),
    seat_rows as (
        insert into rollup_seat_days (seat_id, day, club_id, hall_id, bookings, carried_bookings, booked_hours)
        select seat_id, day, min(club_id), min(hall_id), count(*) filter (where not carried),
               count(*) filter (where carried), sum(hours)
        from seat_parts
        group by seat_id, day
    ),
    day_bookings as materialized (
        select f.club_id, f.date as day,
               count(*) filter (where f.held) as bookings,
               count(*) filter (where f.status in ('завершено', 'активно')) as visits,
               count(distinct f.user_id) filter (where f.held) as customers,
               count(distinct f.seat_id) filter (where f.held) as occupied_seats,
               count(*) filter (where f.status = 'отменено') as cancellations,
               count(*) filter (where f.status = 'неявка') as no_shows,
               avg(date_part('epoch', f.local_end - f.local_start) / 3600)
                   filter (where f.status in ('завершено', 'активно')) as session_hours,
               sum(f.paid) as revenue,
               sum(f.refunded) as refunds,
               sum(f.failed_n) as failed_payments,
               sum(f.pending_n) as pending_payments,
               count(*) filter (where f.booking_id in (select booking_id from overlapping)) as seat_overlaps,
               count(*) filter (where f.held and f.settled_n = 0) as visits_without_payment,
               count(*) filter (where not f.held and f.kept_n <> 0) as payments_without_visit,
               count(*) filter (where f.held and f.settled_n > 0 and (f.settled_n <> 1 or f.settled <> f.list_price))
                   as payments_not_matching,
               sum(f.negative_n) as negative_amounts,
               sum(f.absurd_n) as absurd_amounts,
               count(*) filter (where f.status in ('завершено', 'активно')
                                  and f.end_time - f.start_time < make_interval(mins => min_minutes)) as short_visits,
               count(*) filter (where f.end_time - f.start_time > make_interval(hours => max_hours)) as long_visits
        from found f
        join keys k on k.club_id = f.club_id and k.day = f.date and k.in_span
        group by f.club_id, f.date
    ),
    day_hours as materialized (
        select club_id, day, sum(booked_seat_hours) as booked_seat_hours from hall_booked group by club_id, day
    )
    insert into rollup_club_days (
        club_id, day, bookings, visits, customers, occupied_seats, cancellations, no_shows, session_hours,
        booked_seat_hours, open_seat_hours, seats, revenue, refunds, failed_payments, pending_payments,
        seat_overlaps, visits_without_payment, payments_without_visit, payments_not_matching, negative_amounts,
        absurd_amounts, short_visits, long_visits)
    select k.club_id, k.day, coalesce(db.bookings, 0), coalesce(db.visits, 0), coalesce(db.customers, 0),
           coalesce(db.occupied_seats, 0), coalesce(db.cancellations, 0), coalesce(db.no_shows, 0), db.session_hours,
           coalesce(dh.booked_seat_hours, 0), cs.seats * oh.hours, cs.seats, coalesce(db.revenue, 0),
           coalesce(db.refunds, 0), coalesce(db.failed_payments, 0), coalesce(db.pending_payments, 0),
           coalesce(db.seat_overlaps, 0), coalesce(db.visits_without_payment, 0), coalesce(db.payments_without_visit, 0),
           coalesce(db.payments_not_matching, 0), coalesce(db.negative_amounts, 0), coalesce(db.absurd_amounts, 0),
           coalesce(db.short_visits, 0), coalesce(db.long_visits, 0)
    from keys k
    join club_seats cs on cs.club_id = k.club_id
    cross join lateral (select count(*) as hours from club_open_hours h where h.club_id = k.club_id and h.is_open) oh
    left join day_bookings db on db.club_id = k.club_id and db.day = k.day
    left join day_hours dh on dh.club_id = k.club_id and dh.day = k.day
    where k.in_span;  -- (the two inserts in WITH run to completion whatever this one reads of them)
    return array_length(batch_clubs, 1);
end $$;


-- ---------------------------------------------------------------- rebuilding a batch of customers' months

-- Takes queued customers' months (up to `batch_months` of them; a whole month of every customer goes alone),
-- deletes their rows and computes them again; in the caller's transaction. Returns how many it rebuilt.
create or replace function rollup_refresh_customers(batch_months integer default 5000) returns integer
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    batch_users integer[];
    batch_months_ date[];
    whole_month date;
begin
    perform pg_advisory_xact_lock(7351003);
    perform set_config('work_mem', '256MB', true);
    -- every customer of one month, set-based
    with picked as (
        select q.month from rollup_customer_changes q
        where q.user_id = 0 and q.month > '-infinity' order by q.month limit 1
    ),
    taken as (
        delete from rollup_customer_changes q using picked p where q.user_id = 0 and q.month = p.month
        returning q.month
    )
    select min(month) into whole_month from taken;
    if whole_month is not null then
        delete from rollup_customer_months where month = whole_month;
        insert into rollup_customer_months
        select * from rollup_customer_rows(null, null, whole_month);
        return 1;
    end if;

    with picked as (
        select distinct q.user_id, q.month from rollup_customer_changes q
        where q.user_id <> 0 and q.month > '-infinity'
        order by q.month, q.user_id
        limit greatest(batch_months, 1)
    ),
    taken as (
        delete from rollup_customer_changes q using picked p
        where q.user_id = p.user_id and q.month = p.month
        returning q.user_id, q.month
    )
    select array_agg(t.user_id order by t.month, t.user_id), array_agg(t.month order by t.month, t.user_id)
    into batch_users, batch_months_
    from (select distinct user_id, month from taken) t;
    if batch_users is null then
        return 0;
    end if;
    delete from rollup_customer_months r using unnest(batch_users, batch_months_) k(user_id, month)
    where r.user_id = k.user_id and r.month = k.month;
    insert into rollup_customer_months
    select * from rollup_customer_rows(batch_users, batch_months_, null);
    return array_length(batch_users, 1);
end $$;

-- The rows of rollup_customer_months for some customers' months (users, months), or for every customer in
-- one month (whole_month).
create or replace function rollup_customer_rows(users integer[], months date[], whole_month date)
returns setof rollup_customer_months
language sql stable security definer set search_path = public, pg_temp as $$
with found as materialized (
    select b.booking_id, b.user_id, b.club_id, b.hall_type, b.date, b.start_time, b.end_time, b.status,
           date_trunc('month', b.date::timestamp)::date as month,
           b.status in ('завершено', 'активно') as is_visit,
           hb.band,
           pay.paid, pay.attempts, pay.failed
    from (
        select cb.* from unnest(users, months) k(user_id, month)
        cross join lateral (
            select * from club_bookings c
            where c.user_id = k.user_id and c.date >= k.month and c.date < (k.month + interval '1 month')::date
            offset 0
        ) cb
        where whole_month is null
        union all
        select cb.* from club_bookings cb
        where whole_month is not null
          and cb.start_time >= (whole_month - 2)::timestamp at time zone 'UTC'
          and cb.start_time < ((whole_month + interval '1 month')::date + 2)::timestamp at time zone 'UTC'
          and cb.date >= whole_month and cb.date < (whole_month + interval '1 month')::date
    ) b
    join hour_bands hb on hb.hour = extract(hour from b.local_start)::int
    cross join lateral (
        select coalesce(sum(p.amount) filter (where p.payment_status = 'успешно'), 0) as paid,
               count(*) as attempts,
               count(*) filter (where p.payment_status = 'ошибка') as failed
        from payments p where p.booking_id = b.booking_id
    ) pay
),
by_type as (
    select user_id, month, club_id, jsonb_object_agg(hall_type, n order by hall_type) as hall_types
    from (select user_id, month, club_id, coalesce(hall_type, '') as hall_type, count(*) as n
          from found where is_visit group by 1, 2, 3, 4) t
    group by 1, 2, 3
),
by_band as (
    select user_id, month, club_id, jsonb_object_agg(band, n order by band) as bands
    from (select user_id, month, club_id, band, count(*) as n from found where is_visit group by 1, 2, 3, 4) t
    group by 1, 2, 3
),
totals as (
    select user_id, month, club_id,
           count(*) as bookings,
           count(*) filter (where status <> 'отменено') as seat_bookings,
           count(*) filter (where is_visit) as visits,
           count(*) filter (where status = 'отменено') as cancellations,
           count(*) filter (where status = 'неявка') as no_shows,
           coalesce(sum(date_part('epoch', end_time - start_time) / 3600) filter (where is_visit), 0) as visit_hours,
           count(distinct date) filter (where is_visit) as visit_days,
           coalesce(bit_or(1 << (extract(day from date)::int - 1)) filter (where is_visit), 0) as visit_day_bits,
           min(start_time) filter (where is_visit) as first_visit,
           max(start_time) filter (where is_visit) as last_visit,
           min(start_time) filter (where status <> 'отменено') as first_seat_booking,
           max(start_time) filter (where status <> 'отменено') as last_seat_booking,
           sum(paid) as spend,
           coalesce(sum(paid) filter (where status <> 'отменено'), 0) as seat_spend,
           coalesce(sum(paid) filter (where is_visit), 0) as visit_spend,
           sum(attempts) as payments,
           sum(failed) as failed_payments
    from found
    group by user_id, month, club_id
)
select t.user_id, t.month, t.club_id, t.bookings, t.seat_bookings, t.visits, t.cancellations, t.no_shows,
       t.visit_hours, t.visit_days, t.visit_day_bits, t.first_visit, t.last_visit, t.first_seat_booking,
       t.last_seat_booking, coalesce(ht.hall_types, '{}'), coalesce(bb.bands, '{}'), t.spend, t.seat_spend, t.visit_spend,
       t.payments, t.failed_payments
from totals t
left join by_type ht using (user_id, month, club_id)
left join by_band bb using (user_id, month, club_id)
where t.club_id is not null
$$;


-- ---------------------------------------------------------------- customers' bookings over any stretch of time

-- Seat-holding bookings (not cancelled) per customer and club that started in [from_ts, to_ts) (to_ts null:
-- no end): how many, the first and the last start, and the successful payments of those that started at or
-- after spend_from (null: all of them). Whole club-local months come from rollup_customer_months, the parts
-- of months at either end (and, for the payments, before spend_from's first whole month) from the bookings.
create or replace function customer_club_bookings(from_ts timestamptz, to_ts timestamptz,
                                                  spend_from timestamptz default null)
returns table (user_id integer, club_id integer, bookings bigint, first_start timestamptz, last_start timestamptz,
               spend numeric)
language sql stable as $$
with bounds as (
    select c.id as club_id,
           c.timezone,
           date_trunc('month', (from_ts at time zone c.timezone) - interval '1 microsecond') + interval '1 month'
               as whole_from,
           date_trunc('month', to_ts at time zone c.timezone) as whole_to,
           date_trunc('month', (coalesce(spend_from, from_ts) at time zone c.timezone) - interval '1 microsecond')
               + interval '1 month' as spend_whole_from
    from clubs c
),
edges as materialized (  -- the start times the parts of months can have, over every club: index ranges
    select max(whole_from at time zone timezone) as head_end,
           min(whole_to at time zone timezone) as tail_start,
           max(spend_whole_from at time zone timezone) as spend_end
    from bounds
),
parts as (
    select m.user_id, m.club_id, sum(m.seat_bookings) as bookings, min(m.first_seat_booking) as first_start,
           max(m.last_seat_booking) as last_start,
           sum(m.seat_spend) filter (where m.month >= w.spend_whole_from::date) as spend
    from bounds w
    join rollup_customer_months m
      on m.club_id = w.club_id and m.month >= w.whole_from::date and (to_ts is null or m.month < w.whole_to::date)
    where m.seat_bookings > 0
    group by m.user_id, m.club_id
    union all
    select b.user_id, b.club_id,
           count(*) filter (where b.start_time >= from_ts and (to_ts is null or b.start_time < to_ts)
                              and (b.start_time < w.whole_from at time zone w.timezone
                                   or b.start_time >= w.whole_to at time zone w.timezone)),
           min(b.start_time) filter (where b.start_time < w.whole_from at time zone w.timezone
                                       or b.start_time >= w.whole_to at time zone w.timezone),
           max(b.start_time) filter (where b.start_time < w.whole_from at time zone w.timezone
                                       or b.start_time >= w.whole_to at time zone w.timezone),
           sum(p.paid) filter (where b.start_time >= coalesce(spend_from, from_ts))
    from club_bookings b
    join bounds w on w.club_id = b.club_id
    cross join lateral (select sum(pp.amount) as paid from payments pp
                        where pp.booking_id = b.booking_id and pp.payment_status = 'успешно') p
    where b.status <> 'отменено'
      and b.start_time >= from_ts and (to_ts is null or b.start_time < to_ts)
      and (b.start_time < w.whole_from at time zone w.timezone                 -- a month's part at the start
           or b.start_time >= w.whole_to at time zone w.timezone              -- ... at the end
           or (b.start_time >= spend_from and b.start_time < w.spend_whole_from at time zone w.timezone))
      and (b.start_time < (select head_end from edges)                         -- three index ranges
           or (b.start_time >= spend_from and b.start_time < (select spend_end from edges))
           or b.start_time >= (select tail_start from edges))
    group by b.user_id, b.club_id
)
select user_id, club_id, sum(bookings)::bigint, min(first_start), max(last_start), coalesce(sum(spend), 0)
from parts
group by user_id, club_id
$$;


-- ---------------------------------------------------------------- the seed's view, and the refresh

-- The seed's mv_daily_club_stats with oyna's columns of 010, now read from rollup_club_days. It stays a
-- materialized view with its unique index because a chain's own refresh_daily_stats() (the seed's cron)
-- refreshes it concurrently; a refresh of the rollups refreshes it when days changed.
create materialized view mv_daily_club_stats as
select
    d.day as report_date,
    d.club_id,
    c.name as club_name,
    d.customers as unique_customers,
    d.bookings as total_bookings,
    d.revenue as total_revenue,
    d.session_hours as avg_session_hours,
    d.booked_seat_hours,
    d.open_seat_hours,
    (d.booked_seat_hours / nullif(d.open_seat_hours, 0))::double precision as utilization,
    d.cancellations,
    d.no_shows,
    d.occupied_seats,
    (100.0 * d.occupied_seats / nullif(d.seats, 0))::double precision as utilization_rate
from rollup_club_days d
join clubs c on c.id = d.club_id
with data;

create unique index idx_mv_daily_club_stats_date_club on mv_daily_club_stats (report_date, club_id);
create index idx_mv_daily_club_stats_club on mv_daily_club_stats (club_id, report_date);

-- After a refresh: mv_daily_club_stats again (when days changed, or never populated) and the log.
create or replace function rollup_publish(days integer, customer_months integer, seconds double precision,
                                          concurrent boolean default true)
returns void
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    populated boolean;
    t0 timestamptz := clock_timestamp();
    rows_ bigint;
begin
    select c.relispopulated into populated from pg_class c where c.oid = 'mv_daily_club_stats'::regclass;
    if days > 0 or not populated then
        if concurrent and populated then
            refresh materialized view concurrently mv_daily_club_stats;
        else
            refresh materialized view mv_daily_club_stats;
        end if;
        select count(*) into rows_ from mv_daily_club_stats;
        insert into mv_refresh_log as l (view_name, refreshed_at, seconds, row_count)
        values ('mv_daily_club_stats', clock_timestamp(), date_part('epoch', clock_timestamp() - t0), rows_)
        on conflict on constraint mv_refresh_log_pkey do update
            set refreshed_at = excluded.refreshed_at, seconds = excluded.seconds, row_count = excluded.row_count;
    end if;
    insert into mv_refresh_log as l (view_name, refreshed_at, seconds, row_count)
    values ('rollups', clock_timestamp(), greatest(seconds, 0), greatest(days + customer_months, 0))
    on conflict on constraint mv_refresh_log_pkey do update
        set refreshed_at = excluded.refreshed_at, seconds = excluded.seconds, row_count = excluded.row_count;
end $$;

-- Everything queued, for cron or any client: `call refresh_rollups()`. Each batch commits on its own (so a
-- refresh cut short keeps the batches done and leaves the rest queued).
create or replace procedure refresh_rollups(batch_days integer default 500)
language plpgsql as $$
declare
    t0 timestamptz := clock_timestamp();
    done integer;
    days integer := 0;
    months integer := 0;
begin
    perform rollup_plan();
    commit;
    loop
        done := rollup_refresh_days(batch_days);
        commit;
        exit when done = 0;
        days := days + done;
    end loop;
    loop
        done := rollup_refresh_customers(batch_days * 10);
        commit;
        exit when done = 0;
        months := months + done;
    end loop;
    perform rollup_publish(days, months, date_part('epoch', clock_timestamp() - t0));
    commit;
end $$;

-- The contract's refresh (005), now of the rollups: everything queued, in the caller's transaction, then
-- mv_daily_club_stats. One row per object, as before.
create or replace function refresh_analytics(concurrent boolean default true)
returns table (view_name text, seconds double precision, row_count bigint, was_concurrent boolean)
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    t0 timestamptz := clock_timestamp();
    done integer;
    days integer := 0;
    months integer := 0;
    populated boolean;
begin
    perform rollup_plan();
    loop
        done := rollup_refresh_days(500);
        exit when done = 0;
        days := days + done;
    end loop;
    loop
        done := rollup_refresh_customers(5000);
        exit when done = 0;
        months := months + done;
    end loop;
    select c.relispopulated into populated from pg_class c where c.oid = 'mv_daily_club_stats'::regclass;
    perform rollup_publish(days, months, date_part('epoch', clock_timestamp() - t0), concurrent);
    return query
        select l.view_name, l.seconds, l.row_count,
               (l.view_name = 'mv_daily_club_stats' and concurrent and coalesce(populated, false))
        from mv_refresh_log l
        where l.view_name in ('rollups', 'mv_daily_club_stats')
        order by l.view_name desc;
end $$;


-- ---------------------------------------------------------------- the triggers

-- On oyna's tables and on a chain's own (docs/schema.md, "An existing database"): statement-level, so a
-- COPY or an import's set-based write costs one insert ... select per statement, and they never refuse a
-- write. They run as their owner, so a chain's application role needs no rights on the queues.
do $$
declare
    t text;
begin
    foreach t in array array['bookings', 'payments', 'clubs', 'halls', 'seats'] loop
        -- a trigger with transition tables fires on one event only
        execute format('create trigger rollup_mark_%1$s_insert after insert on %1$s referencing new table as rollup_new '
                       'for each statement execute function rollup_mark_%1$s()', t);
        execute format('create trigger rollup_mark_%1$s_update after update on %1$s '
                       'referencing new table as rollup_new old table as rollup_old '
                       'for each statement execute function rollup_mark_%1$s()', t);
        execute format('create trigger rollup_mark_%1$s_delete after delete on %1$s referencing old table as rollup_old '
                       'for each statement execute function rollup_mark_%1$s()', t);
    end loop;
end $$;
create trigger rollup_mark_time_bands after insert or update or delete on time_bands
    for each statement execute function rollup_mark_time_bands();
create trigger rollup_mark_bookings_truncate after truncate on bookings
    for each statement execute function rollup_mark_truncate();
create trigger rollup_mark_payments_truncate after truncate on payments
    for each statement execute function rollup_mark_truncate();

revoke execute on function rollup_mark_bookings(), rollup_mark_payments(), rollup_mark_clubs(), rollup_mark_halls(),
    rollup_mark_seats(), rollup_mark_time_bands(), rollup_mark_truncate(), rollup_mark_all(text, boolean),
    rollup_mark_booking_ids(bigint[]),
    rollup_customer_rows(integer[], date[], date) from public;

-- Build everything at the next refresh.
insert into rollup_changes (club_id, day) values (0, '-infinity');
insert into rollup_customer_changes (user_id, month) values (0, '-infinity');
select oyna_grant_roles();

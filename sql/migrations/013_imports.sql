-- Imports from club systems (docs/import.md), "now" that follows a history ending in the past, data
-- health checks defined once, and scores that leave out a model the data cannot support yet.


-- The source's own ids. A customer, a booking and its payment remember the system they came from
-- and that system's id, so importing the same file again updates rows instead of adding them.
alter table users add column if not exists external_source text;
alter table users add column if not exists external_id text;
create unique index if not exists users_external_key
    on users (external_source, external_id) where external_id is not null;

alter table bookings add column if not exists external_source text;
alter table bookings add column if not exists external_id text;
create unique index if not exists bookings_external_key
    on bookings (external_source, external_id) where external_id is not null;

alter table payments add column if not exists external_source text;
alter table payments add column if not exists external_id text;
create unique index if not exists payments_external_key
    on payments (external_source, external_id) where external_id is not null;


-- Every import of a file: who, when, what, how many rows, and how it ended. Dry runs are not logged.
create table if not exists data_imports (
    id                 bigint generated always as identity primary key,
    imported_by        text,
    started_at         timestamptz not null default now(),
    seconds            numeric(10, 2),
    file_name          text not null,
    file_format        text not null,
    source             text,
    club               text,
    result             text not null check (result in ('imported', 'rejected', 'failed')),
    rows_read          integer not null default 0,
    rows_added         integer not null default 0,
    rows_updated       integer not null default 0,
    rows_skipped       integer not null default 0,
    rows_bad           integer not null default 0,
    customers_added    integer not null default 0,
    customers_updated  integer not null default 0,
    seats_added        integer not null default 0,
    message            text,
    report             jsonb not null default '{}'
);
create index if not exists idx_data_imports_started on data_imports (started_at desc);


-- "Now" as the data knows it. While the data is live (its latest booking started less than
-- product_threshold('live_gap_days') days ago) it is the clock, so a quiet night or a short outage
-- still reads as "now" and the alerts fire. When the history ends further in the past (an export
-- that stops days or months before today) it is the start of the latest booking, and every page and
-- model works "as of" that moment. The maximum is one step down the index on bookings (start_time).
-- The body reads tables, so it is not inlined: queries read it once per statement. It reads the
-- threshold's row itself (product_threshold() is PL/pgSQL, which a refresh's locked-down search_path
-- cannot resolve); without the row the data counts as live.
insert into product_thresholds (name, value) values ('live_gap_days', 2) on conflict (name) do nothing;

create or replace function data_as_of() returns timestamptz
language sql stable parallel safe
begin atomic
    select case when latest.start_time < now() - gap.days * interval '1 day' then latest.start_time
                else now() end
    from (select max(b.start_time) as start_time from bookings b where b.start_time <= now()) latest
    left join (select t.value as days from product_thresholds t where t.name = 'live_gap_days') gap on true;
end;


-- Data health, defined once: the demo loader, the importer and the health report read these views.

-- Bookings that overlap an earlier booking of the same seat (cancelled bookings hold no seat).
-- A filter on seat_id reaches inside the window, so checking a few seats is cheap.
create or replace view seat_overlaps as
select l.id as booking_id, l.seat_id, l.start_time, l.end_time, l.previous_end
from (
    select b.id, b.seat_id, b.start_time, b.end_time,
           max(b.end_time) over (partition by b.seat_id order by b.start_time, b.id
                                 rows between unbounded preceding and 1 preceding) as previous_end
    from bookings b
    where b.status <> 'отменено'
) l
where l.start_time < l.previous_end;

-- Bookings whose payments do not match them, and why. A kept booking has exactly one settled
-- payment (successful, or refunded later) for its price; a cancelled booking keeps no money.
create or replace view payment_mismatches as
with paid as (
    select booking_id,
           count(*) filter (where payment_status in ('успешно', 'возврат')) as settled,
           count(*) filter (where payment_status = 'успешно') as kept,
           sum(amount) filter (where payment_status in ('успешно', 'возврат')) as total
    from payments
    group by booking_id
)
select b.id as booking_id, b.status, b.price, p.settled, p.kept, p.total,
       case when b.status = 'отменено' then 'payment without visit'
            when coalesce(p.settled, 0) = 0 then 'visit without payment'
            when p.settled > 1 then 'several payments'
            else 'amount differs from price' end as problem
from bookings b
left join paid p on p.booking_id = b.id
where (b.status <> 'отменено' and (coalesce(p.settled, 0) <> 1 or p.total <> b.price))
   or (b.status = 'отменено' and coalesce(p.kept, 0) <> 0);


-- A retrain may skip churn risk or lifetime value when the data is too thin (docs/models.md):
-- those scores are then null, never a weak number shown as if it were sound.
alter table customer_scores alter column churn_risk drop not null;

create or replace function ai_customer_segmentation()
returns table (
    user_id              integer,
    full_name            text,
    segment              text,
    churn_risk           numeric,
    clv_predicted        numeric,
    upsell_score         numeric,
    probability_alive    numeric,
    expected_visits_30d  numeric,
    next_visit_date      date,
    recommendations      jsonb
)
language sql stable as $$
    select s.user_id, u.full_name, s.segment, s.churn_risk, s.clv_12m, s.upsell_score,
           s.probability_alive, s.expected_visits_30d, s.next_visit_date, s.recommendations
    from customer_scores s
    join users u on u.id = s.user_id
    where s.version = active_model_version()
    order by s.churn_risk desc nulls last, s.clv_12m desc nulls last
$$;

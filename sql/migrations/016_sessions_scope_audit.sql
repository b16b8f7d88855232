-- Lasting, revocable sessions; club-scoped accounts; sign-in throttling by name and by address; the
-- activity log (who did what), partitioned by month; DEFAULT partitions so no write ever fails for
-- lack of a partition. Nothing here is created at run time by the app: the CLI's maintenance
-- (`oyna db maintain`, and `oyna serve` every hour) creates next months' partitions and drops expired ones.

-- ---------------------------------------------------------------- club scope of an account

-- whole_chain: the account sees every club, now and later. Otherwise it sees exactly the clubs in
-- app_account_clubs, and none when there are none (a scope fails closed).
alter table app_accounts add column if not exists whole_chain boolean not null default true;

create table if not exists app_account_clubs (
    account_id  integer not null references app_accounts (id) on delete cascade,
    club_id     integer not null references clubs (id) on delete cascade,
    primary key (account_id, club_id)
);

-- ---------------------------------------------------------------- sessions

-- One row per signed-in browser. Only SHA-256 hashes of the cookie's token and of the one-time grant
-- (which the browser trades for the HttpOnly cookie) are stored. A session is live while ended_at is
-- null, expires_at (the absolute limit) is ahead and last_seen_at (the last run a person caused) is
-- within the idle timeout; both limits come from the settings.
create table if not exists app_sessions (
    id                bigint generated always as identity primary key,
    account_id        integer not null references app_accounts (id) on delete cascade,
    token_hash        bytea unique check (octet_length(token_hash) = 32),
    grant_hash        bytea unique check (octet_length(grant_hash) = 32),
    grant_expires_at  timestamptz,
    created_at        timestamptz not null default now(),
    last_seen_at      timestamptz not null default now(),
    expires_at        timestamptz not null,
    ended_at          timestamptz,
    end_reason        text check (end_reason in ('sign_out', 'sign_out_everywhere', 'password_changed',
                                                 'ended_by_manager', 'role_changed')),
    address           text,
    user_agent        text check (length(user_agent) <= 400)
);

create index if not exists idx_app_sessions_account on app_sessions (account_id) where ended_at is null;
create index if not exists idx_app_sessions_ended on app_sessions (ended_at) where ended_at is not null;

-- ---------------------------------------------------------------- sign-in throttling

-- Failures per key: 'name:<sha-256 of the normalised username>' (known and unknown names alike, so
-- the throttle says nothing about which names exist; the name itself is never stored) and
-- 'address:<client address>'. Failures older than the throttle's memory are forgotten.
create table if not exists sign_in_throttle (
    key              text primary key check (key ~ '^(name|address):'),
    failures         integer not null default 0 check (failures >= 0),
    last_failure_at  timestamptz not null default now(),
    locked_until     timestamptz
);

alter table sign_in_log add column if not exists address text;
alter table sign_in_log drop constraint if exists sign_in_log_reason_check;
alter table sign_in_log add constraint sign_in_log_reason_check
    check (reason in ('ok', 'bad_password', 'unknown_account', 'throttled', 'busy'));

-- ---------------------------------------------------------------- saved scenarios know their clubs

-- A scenario is shown only to accounts that may see every club it covers.
alter table scenarios add column if not exists club_ids integer[] not null default '{}';
update scenarios s
set club_ids = coalesce((select array_agg(distinct x::int order by x::int)
                         from jsonb_array_elements_text(s.result -> 'baseline' -> 'club_ids') x), '{}')
where s.club_ids = '{}' and jsonb_typeof(s.result -> 'baseline' -> 'club_ids') = 'array';

-- ---------------------------------------------------------------- monthly partitions

-- The partition of `parent` for the month of `for_month`, named <parent>_YYYY_MM, partitioned on
-- `time_column`. Rows of that month that landed in the parent's DEFAULT partition move into it.
create or replace function create_month_partition(parent text, time_column text, for_month date)
returns text language plpgsql as $$
declare
    first_day  date := date_trunc('month', for_month)::date;
    lo         timestamptz := first_day::timestamptz;
    hi         timestamptz := (first_day + interval '1 month')::timestamptz;
    part       text := parent || '_' || to_char(first_day, 'YYYY_MM');
    fallback   text := parent || '_default';
    waiting    boolean := false;
begin
    if to_regclass(quote_ident(part)) is not null then
        return part;
    end if;
    if to_regclass(quote_ident(fallback)) is not null then
        execute format('select exists (select 1 from %I where %I >= %L and %I < %L)',
                       fallback, time_column, lo, time_column, hi) into waiting;
    end if;
    if waiting then
        execute format('create table %I (like %I including defaults including constraints)', part, parent);
        execute format('with moved as (delete from %I where %I >= %L and %I < %L returning *) '
                       'insert into %I select * from moved', fallback, time_column, lo, time_column, hi, part);
        execute format('alter table %I attach partition %I for values from (%L) to (%L)', parent, part, lo, hi);
    else
        execute format('create table if not exists %I partition of %I for values from (%L) to (%L)',
                       part, parent, lo, hi);
    end if;
    return part;
end $$;

-- Partitions of `parent` from the month of `from_day` through the month of `to_day`.
create or replace function ensure_month_partitions(parent text, time_column text, from_day date, to_day date)
returns integer language plpgsql as $$
declare
    m date := date_trunc('month', from_day)::date;
    n integer := 0;
begin
    while m <= to_day loop
        perform create_month_partition(parent, time_column, m);
        m := (m + interval '1 month')::date;
        n := n + 1;
    end loop;
    return n;
end $$;

-- Drop the monthly partitions of `parent` that end on or before `before` (and delete such rows from its
-- DEFAULT partition); returns how many partitions went.
create or replace function drop_month_partitions(parent text, time_column text, before date)
returns integer language plpgsql as $$
declare
    child  text;
    n      integer := 0;
begin
    for child in
        select c.relname from pg_inherits i
        join pg_class c on c.oid = i.inhrelid
        where i.inhparent = to_regclass(quote_ident(parent))
          and c.relname ~ ('^' || parent || '_[0-9]{4}_[0-9]{2}$')
          and (to_date(right(c.relname, 7), 'YYYY_MM') + interval '1 month')::date <= before
    loop
        execute format('drop table %I', child);
        n := n + 1;
    end loop;
    if to_regclass(quote_ident(parent || '_default')) is not null then
        execute format('delete from %I where %I < %L', parent || '_default', time_column, before::timestamptz);
    end if;
    return n;
end $$;

-- audit_logs' months (001's function) now go through the general one, so a month created after rows of it
-- landed in the DEFAULT partition takes them over. An adopted audit_logs that is not partitioned by month
-- still gets none (null), and one of a chain's own gets no DEFAULT partition: it is theirs.
create or replace function create_audit_partition(for_month date)
returns text language plpgsql as $$
begin
    if not exists (select 1 from pg_partitioned_table where partrelid = to_regclass('audit_logs')) then
        return null;
    end if;
    return create_month_partition('audit_logs', 'created_at', for_month);
end $$;

do $$
begin
    if exists (select 1 from pg_partitioned_table where partrelid = to_regclass('audit_logs'))
       and not exists (select 1 from adopted_tables where table_name = 'audit_logs') then
        create table if not exists audit_logs_default partition of audit_logs default;
    end if;
end $$;

-- ---------------------------------------------------------------- the activity log

-- Who did what, when, from which address, on which object. `via` is 'app' (a signed-in person),
-- 'cli' (the oyna command) or 'system' (the app on its own). club_ids are the clubs the action
-- touched (an export's filter, a customer's clubs); a club-scoped manager sees only rows whose clubs
-- all lie in their scope, plus their own.
create table if not exists activity_log (
    id           bigint generated always as identity,
    at           timestamptz not null default now(),
    account_id   integer,
    username     text,
    role         text,
    via          text not null default 'app' check (via in ('app', 'cli', 'system')),
    session_id   bigint,
    address      text,
    action       text not null check (action ~ '^[a-z][a-z_.]{1,62}$'),
    object_type  text,
    object_id    text,
    club_ids     integer[] not null default '{}',
    details      jsonb not null default '{}' check (jsonb_typeof(details) = 'object'),
    primary key (id, at)
) partition by range (at);

create table if not exists activity_log_default partition of activity_log default;

create index if not exists idx_activity_log_at on activity_log (at desc);
create index if not exists idx_activity_log_username on activity_log (username, at desc);
create index if not exists idx_activity_log_action on activity_log (action, at desc);

select ensure_month_partitions('activity_log', 'at', current_date - 31, current_date + 62);
select ensure_audit_partitions(current_date, (current_date + interval '1 month')::date);

-- 022: database roles that hold. SECURITY DEFINER functions run with their owner's rights, so no role may
-- run one unless it needs to (PUBLIC could: the read-only role locked the views with refresh_analytics(false)
-- and made audit_logs months for the year 2000); ensure_audit_partitions() makes only months near today; the
-- read-only role no longer reads customers' external_id (often a nickname or a phone number); the app's
-- role adds to the logs and reads them, but never changes or deletes a row of them. And the first word of a
-- customer's name, for the search of people who may not see contacts.

-- The monthly partitions of audit_logs from one date's month to another's, within a year of this month
-- either way: the app's role runs this (an import makes sure this month's exists) with its owner's rights,
-- so it must not make thousands of tables. A wider span (the demo's history) is the owner's, month by
-- month with create_audit_partition().
create or replace function ensure_audit_partitions(from_day date, to_day date)
returns integer language plpgsql security definer set search_path = public, pg_temp as $$
declare
    earliest constant date := (date_trunc('month', current_date) - interval '12 months')::date;
    latest   constant date := (date_trunc('month', current_date) + interval '12 months')::date;
    m date := date_trunc('month', from_day)::date;
    n integer := 0;
begin
    if from_day is null or to_day is null or from_day < earliest
       or to_day >= (latest + interval '1 month')::date then
        raise exception 'audit_logs partitions are made only for % through %; asked for % through %',
            to_char(earliest, 'YYYY-MM'), to_char(latest, 'YYYY-MM'),
            coalesce(to_char(from_day, 'YYYY-MM-DD'), 'null'), coalesce(to_char(to_day, 'YYYY-MM-DD'), 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    while m <= to_day loop
        if create_audit_partition(m) is not null then
            n := n + 1;
        end if;
        m := (m + interval '1 month')::date;
    end loop;
    return n;
end $$;

-- The BI contract's customers, for any role: a role that may not read customers' names (oyna_readonly)
-- gets null in full_name instead of "permission denied" for the whole function. The column is chosen
-- before the query is planned, so the names are never read for it.
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
language plpgsql stable as $$
begin
    return query execute format(
        'select s.user_id, %s, s.segment, s.churn_risk, s.clv_12m, s.upsell_score, s.probability_alive, '
        '       s.expected_visits_30d, s.next_visit_date, s.recommendations '
        'from customer_scores s join users u on u.id = s.user_id '
        'where s.version = active_model_version() '
        'order by s.churn_risk desc, s.clv_12m desc',
        case when has_column_privilege('users', 'full_name', 'select') then 'u.full_name::text' else 'null::text' end);
end $$;

-- The first word of a customer's name as text search reads it (the lexemes at position 1, whatever spaces,
-- tabs or hyphens the name has): what the search of someone who may not see contacts matches, so a surname
-- cannot be rebuilt from which prefixes still find a customer. Indexed like the whole name (003): at 250,000
-- customers an analyst's search of a first name took 2.9-3.7 s without this index, 0.17-0.27 s with it (a
-- manager's of the whole name 0.14-0.22 s).
create or replace function first_name_tsvector(full_name text) returns tsvector
language sql immutable parallel safe as $$
    select coalesce(array_to_tsvector(array_agg(w.lexeme)), ''::tsvector)
    from unnest(to_tsvector('russian', full_name)) w
    where 1 = any(w.positions)
$$;

create index if not exists idx_users_first_name on users using gin (first_name_tsvector(full_name));

create or replace function oyna_grant_roles() returns void
language plpgsql
set search_path = public, pg_temp
as $$
declare
    hidden constant text[] := array['app_accounts', 'app_account_clubs', 'app_sessions', 'sign_in_throttle',
                                    'sign_in_log', 'activity_log', 'audit_logs', 'alert_channels',
                                    'alert_deliveries'];
    personal constant text[] := array['full_name', 'email', 'phone', 'external_id'];
    -- Who did what: the app's role adds rows and reads them; only the owner trims them (`oyna db maintain`).
    logs constant text[] := array['activity_log', 'audit_logs', 'sign_in_log'];
    -- The SECURITY DEFINER functions the app's role runs (a retrain or an import started from a page, which
    -- also refreshes the rollups of migration 023); any other one is the owner's alone. A name that does not
    -- exist yet (before 023) is left out until it does.
    app_definers constant regprocedure[] := array[to_regprocedure('refresh_analytics(boolean)'),
                                                  to_regprocedure('ensure_audit_partitions(date, date)'),
                                                  to_regprocedure('analyze_model_tables()'),
                                                  to_regprocedure('rollup_plan()'),
                                                  to_regprocedure('rollup_refresh_days(integer)'),
                                                  to_regprocedure('rollup_refresh_customers(integer)'),
                                                  to_regprocedure('rollup_publish(integer, integer, double precision, boolean)')];
    t record;
    columns text;
begin
    -- No function made from now on is PUBLIC's to run: the roles below get what they need by name.
    alter default privileges revoke execute on functions from public;

    if exists (select from pg_roles where rolname = 'oyna_app') then
        grant usage on schema public to oyna_app;
        grant select, insert, update, delete on all tables in schema public to oyna_app;
        grant usage, select on all sequences in schema public to oyna_app;
        grant execute on all functions in schema public to oyna_app;
        -- A table made later (a log's next month, made by `oyna db maintain`) is read and added to until
        -- the next migrate gives update and delete on every table that is not a log.
        alter default privileges in schema public grant select, insert on tables to oyna_app;
        alter default privileges in schema public revoke update, delete on tables from oyna_app;
        alter default privileges in schema public grant usage, select on sequences to oyna_app;
        alter default privileges in schema public grant execute on functions to oyna_app;
        revoke execute on function oyna_grant_roles() from oyna_app;
        for t in
            select c.oid::regclass as rel
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind in ('r', 'p')
              and (c.relname = any(logs)
                   or exists (select from pg_inherits i join pg_class p on p.oid = i.inhparent
                              where i.inhrelid = c.oid and p.relname = any(logs)))
        loop
            execute format('revoke update, delete, truncate on %s from oyna_app', t.rel);
        end loop;
        if exists (select from pg_namespace where nspname = 'demo_truth') then
            revoke all on all tables in schema demo_truth from oyna_app;
            revoke all on schema demo_truth from oyna_app;
        end if;
    end if;

    if exists (select from pg_roles where rolname = 'oyna_readonly') then
        grant usage on schema public to oyna_readonly;
        grant select on all tables in schema public to oyna_readonly;
        -- Functions run with the caller's rights; those made since PUBLIC stopped getting them by default.
        for t in
            select p.oid::regprocedure as fn
            from pg_proc p
            where p.pronamespace = 'public'::regnamespace and p.prokind = 'f' and not p.prosecdef
              and pg_has_role(p.proowner, 'usage')
        loop
            execute format('grant execute on routine %s to oyna_readonly', t.fn);
        end loop;
        revoke execute on function oyna_grant_roles() from oyna_readonly;
        -- Secrets and logs, with their partitions, are not for BI tools.
        for t in
            select c.oid::regclass as rel
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm')
              and (c.relname = any(hidden)
                   or exists (select from pg_inherits i join pg_class p on p.oid = i.inhparent
                              where i.inhrelid = c.oid and p.relname = any(hidden)))
        loop
            execute format('revoke all on %s from oyna_readonly', t.rel);
        end loop;
        -- Customers without their names, contacts and the club system's id for them.
        if to_regclass('public.users') is not null then
            select string_agg(quote_ident(column_name), ', ' order by ordinal_position) into columns
            from information_schema.columns
            where table_schema = 'public' and table_name = 'users' and column_name <> all(personal);
            revoke all on users from oyna_readonly;
            execute format('grant select (%s) on users to oyna_readonly', columns);
        end if;
        if exists (select from pg_namespace where nspname = 'demo_truth') then
            revoke all on all tables in schema demo_truth from oyna_readonly;
            revoke all on schema demo_truth from oyna_readonly;
        end if;
    end if;

    -- SECURITY DEFINER functions: not PUBLIC's, never the read-only role's, the app's only when listed.
    for t in
        select p.oid::regprocedure as fn, p.oid::regprocedure = any(app_definers) as for_app
        from pg_proc p
        where p.pronamespace = 'public'::regnamespace and p.prosecdef and pg_has_role(p.proowner, 'usage')
    loop
        execute format('revoke execute on routine %s from public', t.fn);
        if exists (select from pg_roles where rolname = 'oyna_readonly') then
            execute format('revoke execute on routine %s from oyna_readonly', t.fn);
        end if;
        if exists (select from pg_roles where rolname = 'oyna_app') then
            execute format(case when t.for_app then 'grant execute on routine %s to oyna_app'
                                else 'revoke execute on routine %s from oyna_app' end, t.fn);
        end if;
    end loop;
end
$$;

revoke execute on function oyna_grant_roles() from public;

select oyna_grant_roles();

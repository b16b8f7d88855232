-- 017: database roles. The owner (who runs this) keeps every object and runs migrations and the CLI's
-- admin commands. Pages connect as oyna_app: read and write rows, run functions, no DDL, nothing of
-- demo_truth. BI tools connect as oyna_readonly: read tables, views and functions, but no customer names
-- or contacts, no accounts, sessions, logs or alert destinations. The roles are made by the embedded
-- server (core/platform/server.py) or by the DBA (docs/deploy.md); grants go only to roles that exist,
-- here and again at the end of every migrate() (oyna_grant_roles()), so later tables are covered.

-- Refreshing a materialized view needs its owner (a retrain or an import started from a page refreshes
-- them), and so does creating a month of audit_logs (an import makes sure this month's exists): both run
-- with their owner's rights, on fixed objects only.
alter function refresh_analytics(boolean) security definer set search_path = public, pg_temp;
alter function ensure_audit_partitions(date, date) security definer set search_path = public, pg_temp;

create or replace function oyna_grant_roles() returns void
language plpgsql
set search_path = public, pg_temp
as $$
declare
    hidden constant text[] := array['app_accounts', 'app_account_clubs', 'app_sessions', 'sign_in_throttle',
                                    'sign_in_log', 'activity_log', 'audit_logs', 'alert_channels',
                                    'alert_deliveries'];
    personal constant text[] := array['full_name', 'email', 'phone'];
    t record;
    columns text;
begin
    if exists (select from pg_roles where rolname = 'oyna_app') then
        grant usage on schema public to oyna_app;
        grant select, insert, update, delete on all tables in schema public to oyna_app;
        grant usage, select on all sequences in schema public to oyna_app;
        grant execute on all functions in schema public to oyna_app;
        alter default privileges in schema public grant select, insert, update, delete on tables to oyna_app;
        alter default privileges in schema public grant usage, select on sequences to oyna_app;
        alter default privileges in schema public grant execute on functions to oyna_app;
        revoke execute on function oyna_grant_roles() from oyna_app;
        if exists (select from pg_namespace where nspname = 'demo_truth') then
            revoke all on all tables in schema demo_truth from oyna_app;
            revoke all on schema demo_truth from oyna_app;
        end if;
    end if;

    if exists (select from pg_roles where rolname = 'oyna_readonly') then
        grant usage on schema public to oyna_readonly;
        grant select on all tables in schema public to oyna_readonly;
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
        -- Customers without their names and contacts.
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
end
$$;

revoke execute on function oyna_grant_roles() from public;

select oyna_grant_roles();

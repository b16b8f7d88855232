-- A seat is never double-booked, and changes to bookings and payments are audited (on oyna's own tables).

create or replace function bookings_no_overlap() returns trigger
language plpgsql as $$
begin
    if new.status in ('отменено') then
        return new;
    end if;
    -- serialise writers of the same seat
    perform 1 from seats where id = new.seat_id for update;
    if exists (
        select 1 from bookings b
        where b.seat_id = new.seat_id
          and b.id <> new.id
          and b.status <> 'отменено'
          and b.start_time < new.end_time
          and new.start_time < b.end_time
    ) then
        raise exception 'seat % is already booked between % and %', new.seat_id, new.start_time, new.end_time
            using errcode = 'exclusion_violation';
    end if;
    return new;
end $$;

create or replace function audit_changes() returns trigger
language plpgsql as $$
begin
    insert into audit_logs (table_name, record_id, action, old_values, new_values, created_at)
    values (
        tg_table_name,
        case when tg_op = 'DELETE' then old.id else new.id end,
        tg_op,
        case when tg_op = 'INSERT' then null else to_jsonb(old) end,
        case when tg_op = 'DELETE' then null else to_jsonb(new) end,
        now()
    );
    return null;
end $$;

-- The triggers go on oyna's own tables only. On tables adopted from a chain's database (001) nothing may
-- refuse or add to the chain's own writes: its application keeps its own rules and its own audit, and
-- sql/data/seat_overlaps.sql finds double-booked seats there instead.
do $$
begin
    if not exists (select 1 from adopted_tables where table_name = 'bookings') then
        create trigger bookings_no_overlap
            before insert or update of seat_id, start_time, end_time, status on bookings
            for each row execute function bookings_no_overlap();
    end if;
    if not exists (select 1 from adopted_tables where table_name in ('bookings', 'audit_logs')) then
        create trigger bookings_audit after update or delete on bookings
            for each row execute function audit_changes();
    end if;
    if not exists (select 1 from adopted_tables where table_name in ('payments', 'audit_logs')) then
        create trigger payments_audit after update or delete on payments
            for each row execute function audit_changes();
    end if;
end $$;

-- Staging tables of one import (dropped when its transaction ends): the customers, the visits' keys
-- and times (to find what was imported before), and the visits ready to load.
create temp table import_customers (
    external_id   text primary key,
    full_name     text,
    email         text,
    phone         text,
    signed_up_at  timestamptz
) on commit drop;

create temp table import_keys (
    row_no       integer not null,
    booking_key  text not null,
    start_time   timestamptz not null,
    end_time     timestamptz not null,
    seat_id      integer           -- the seat the file names (null: none)
) on commit drop;

create temp table import_visits (
    row_no          integer not null,
    is_new          boolean not null,  -- no booking of this source has the key yet
    booking_key     text not null,
    customer_key    text not null,
    seat_id         integer,           -- null: the visit keeps its stored seat
    start_time      timestamptz not null,
    end_time        timestamptz not null,
    local_date      date not null,
    status          text not null,
    price           numeric(10, 2) not null,
    amount          numeric(10, 2),    -- null: the row has no payment
    payment_status  text,
    paid_at         timestamptz,
    method          text
) on commit drop;

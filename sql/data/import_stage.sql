-- Staging tables of one import (dropped when its transaction ends): the customers, the visits as the file's
-- chunks are read (with what each row says of its customer, and the seat it names), and the seats the
-- importer chose for visits that name none.
create temp table import_customers (
    external_id   text primary key,
    full_name     text,
    email         text,
    phone         text,
    signed_up_at  timestamptz
) on commit drop;

create temp table import_visits (
    row_no          integer not null,  -- 0, 1, … in the file's order
    line            integer not null,  -- the file's line
    booking_key     text not null,
    customer_key    text not null,
    customer_name   text,
    email           text,
    phone           text,
    signed_up_at    timestamptz,
    seat_id         integer,           -- the seat the file names (null: none)
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

create temp table import_placed (
    row_no   integer primary key,
    seat_id  integer not null
) on commit drop;

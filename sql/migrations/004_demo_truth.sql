-- Hidden truth from the demo simulator, for evaluating models only.
-- No model and no page reads this schema.
create schema if not exists demo_truth;

create table if not exists demo_truth.customer_future (
    user_id          integer primary key,
    visits_next_30d  integer not null check (visits_next_30d >= 0),
    spend_next_30d   numeric(12, 2) not null check (spend_next_30d >= 0),
    churned_at       timestamptz,
    true_visit_rate  double precision not null   -- visits per week while active
);

create table if not exists demo_truth.generation (
    id          integer primary key default 1 check (id = 1),
    size        text not null,
    seed        integer not null,
    data_end    timestamptz not null,
    created_at  timestamptz not null default now()
);

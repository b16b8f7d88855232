-- Saved what-if scenarios (core/scenarios.py): the levers an analyst set and the result they saw.
-- A name is unique per author; `levers` is Scenario.to_dict(), `result` is ScenarioResult.to_dict().

create table if not exists scenarios (
    id          bigint generated always as identity primary key,
    name        text not null check (length(trim(name)) between 1 and 120),
    author      text not null check (length(trim(author)) > 0),
    levers      jsonb not null check (jsonb_typeof(levers) = 'object'),
    result      jsonb not null default '{}' check (jsonb_typeof(result) = 'object'),
    created_at  timestamptz not null default now(),
    unique (author, name)
);

create index if not exists idx_scenarios_created on scenarios (created_at desc);

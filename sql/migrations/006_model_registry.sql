-- Model versions, their customer scores and revenue forecasts.
-- Scores are kept per version, so activating or rolling back a version is one UPDATE.

create table model_versions (
    version          text primary key,
    status           text not null default 'candidate'
                     check (status in ('candidate', 'active', 'retired', 'rejected')),
    trained_at       timestamptz not null default now(),
    trained_by       text,
    data_start       timestamptz,
    data_end         timestamptz,
    row_counts       jsonb not null default '{}',
    metrics          jsonb not null default '{}',
    library_versions jsonb not null default '{}',
    files            jsonb not null default '[]',
    activated_at     timestamptz,
    notes            text
);

-- At most one active version.
create unique index model_versions_one_active on model_versions ((true)) where status = 'active';

create table customer_scores (
    version              text not null references model_versions (version) on delete cascade,
    user_id              integer not null references users (id) on delete cascade,  -- never blocks a delete of theirs
    club_id              integer,            -- favourite club
    segment              text not null,
    recency_days         numeric(8, 1),
    frequency            integer,
    monetary_total       numeric(14, 2),
    r_score              smallint,
    f_score              smallint,
    m_score              smallint,
    churn_risk           numeric(5, 1) not null check (churn_risk between 0 and 100),
    probability_alive    numeric(6, 4) check (probability_alive between 0 and 1),
    expected_visits_30d  numeric(8, 2),
    expected_visits_90d  numeric(8, 2),
    clv_6m               numeric(12, 2),
    clv_12m              numeric(12, 2),
    clv_12m_lo           numeric(12, 2),
    clv_12m_hi           numeric(12, 2),
    upsell_score         numeric(5, 1) check (upsell_score between 0 and 100),
    next_visit_date      date,
    recommendations      jsonb not null default '[]',
    primary key (version, user_id)
);

create index idx_customer_scores_risk on customer_scores (version, churn_risk desc);
create index idx_customer_scores_user on customer_scores (user_id);

create table revenue_forecasts (
    version  text not null references model_versions (version) on delete cascade,
    club_id  integer not null,          -- 0 is the whole chain
    day      date not null,
    yhat     numeric(14, 2) not null,
    lo_80    numeric(14, 2) not null,
    hi_80    numeric(14, 2) not null,
    lo_95    numeric(14, 2) not null,
    hi_95    numeric(14, 2) not null,
    primary key (version, club_id, day)
);

create or replace function active_model_version() returns text
language sql stable as $$
    select version from model_versions where status = 'active'
$$;

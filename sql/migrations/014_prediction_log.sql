-- Live predictions checked against what happened (issue 9).
--
-- Every retrain logs what it published for each customer (prediction_log) next to the revenue forecasts
-- it already keeps (revenue_forecasts). Once a prediction's horizon has passed, grade_predictions()
-- compares it with what happened and keeps the result for good (model_grades, model_grade_deciles);
-- prune_prediction_log() then drops the rows grading no longer needs. ai_model_performance() reads the
-- grades for any SQL client. Row-level outcomes are never stored: they are facts in bookings and
-- payments.


-- A backtest is a version trained as of a moment in the past (for grading): it is never activated.
alter table model_versions drop constraint if exists model_versions_status_check;
alter table model_versions add constraint model_versions_status_check
    check (status in ('candidate', 'active', 'retired', 'rejected', 'backtest'));
-- who made a version active (a retrain's author, or whoever rolled back to it)
alter table model_versions add column if not exists activated_by text;

-- the 80% range of the expected next visit (next_visit_date is its median)
alter table customer_scores add column if not exists next_visit_lo date;
alter table customer_scores add column if not exists next_visit_hi date;


-- What a version published for each customer with a visit before its data end, compactly.
create table prediction_log (
    version              text not null references model_versions (version) on delete cascade,
    user_id              integer not null,
    club_id              integer,   -- the customer's favourite club when scored
    churn_risk           real not null check (churn_risk between 0 and 100),
    expected_visits_30d  real,      -- visit days, BG/NBD
    expected_visits_90d  real,
    clv_12m              real,      -- tenge, discounted 1% a month
    primary key (version, user_id)
);

-- How each version's predictions turned out, once their horizon had passed; one row per measure and
-- scope (club_id 0 is the whole chain; otherwise customers whose favourite club it was, or the club's
-- own revenue series). Measures: churn (over the version's churn window), visits_30d and visits_90d
-- (visit days), clv_12m (revenue in the next 365 days), revenue (the daily forecast's first
-- churn-window days).
create table model_grades (
    version       text not null references model_versions (version) on delete cascade,
    measure       text not null check (measure in ('churn', 'visits_30d', 'visits_90d', 'clv_12m', 'revenue')),
    club_id       integer not null,
    window_start  timestamptz not null,   -- the version's data end
    window_end    timestamptz not null,
    graded_at     timestamptz not null default now(),
    n             integer not null,       -- customers; days for revenue
    predicted     double precision,       -- churn: mean probability; others: the total predicted
    actual        double precision,       -- churn: share with no visit; others: the total that happened
    auc           double precision,       -- churn: ROC AUC of the risk against what happened
    auc_se        double precision,       -- ... and its standard error (Hanley & McNeil)
    brier         double precision,       -- churn: mean squared error of the probability
    mae           double precision,       -- visits, clv: per customer; revenue: per day
    coverage_80   double precision,       -- revenue: share of days inside the 80% band
    coverage_95   double precision,
    primary key (version, measure, club_id)
);

-- Realized churn by decile of predicted risk (10 = the riskiest tenth), per version and scope.
create table model_grade_deciles (
    version     text not null references model_versions (version) on delete cascade,
    club_id     integer not null,
    decile      smallint not null check (decile between 1 and 10),
    customers   integer not null,
    mean_risk   double precision not null,   -- the mean predicted probability, 0-1
    churn_rate  double precision not null,   -- the share who did not visit
    primary key (version, club_id, decile)
);


-- Churn: no visit in (data end, data end + days], as churn_labels counts it.
create or replace function grade_churn(graded_version text, window_start timestamptz, days integer)
returns void language sql as $$
    with visitors as (
        select distinct b.user_id
        from bookings b
        where b.status in ('завершено', 'активно')
          and b.start_time > window_start
          and b.start_time <= window_start + make_interval(days => days)
    ),
    outcome as (
        select l.club_id, l.churn_risk / 100.0 as p, (vi.user_id is null)::integer as churned
        from prediction_log l
        left join visitors vi on vi.user_id = l.user_id
        where l.version = graded_version
    ),
    scoped as (
        select 0 as club_id, p, churned from outcome
        union all
        select club_id, p, churned from outcome where club_id is not null
    ),
    ranked as materialized (  -- mid-ranks of tied risks, for the Mann-Whitney AUC
        select club_id, p, churned,
               rank() over (partition by club_id order by p) + (count(*) over (partition by club_id, p) - 1) / 2.0
                   as mid_rank,
               ntile(10) over (partition by club_id order by p) as decile
        from scoped
    ),
    summary as (
        select club_id, count(*) as n, sum(churned) as n1, count(*) - sum(churned) as n0,
               avg(p) as predicted, avg(churned) as actual, avg((p - churned) ^ 2) as brier,
               sum(mid_rank) filter (where churned = 1) as rank_sum
        from ranked
        group by club_id
    ),
    auc as (
        select s.*, case when s.n1 > 0 and s.n0 > 0
                         then ((s.rank_sum - s.n1 * (s.n1 + 1) / 2.0) / (s.n1 * s.n0))::float8 end as auc
        from summary s
    ),
    deciles as (
        insert into model_grade_deciles (version, club_id, decile, customers, mean_risk, churn_rate)
        select graded_version, club_id, decile, count(*), avg(p), avg(churned)
        from ranked
        group by club_id, decile
    )
    insert into model_grades (version, measure, club_id, window_start, window_end, n, predicted, actual, auc,
                              auc_se, brier)
    select graded_version, 'churn', a.club_id, window_start, window_start + make_interval(days => days), a.n,
           a.predicted, a.actual, a.auc,
           sqrt(greatest(0, (a.auc * (1 - a.auc) + (a.n1 - 1) * (a.auc / (2 - a.auc) - a.auc ^ 2)
                             + (a.n0 - 1) * (2 * a.auc ^ 2 / (1 + a.auc) - a.auc ^ 2)) / (a.n1 * a.n0))),
           a.brier
    from auc a
$$;


-- Visits: days with a visit in [data end, data end + days), the count BG/NBD predicts.
create or replace function grade_visits(graded_version text, window_start timestamptz, days integer,
                                        measure text)
returns void language sql as $$
    with actual as (
        select b.user_id, count(distinct b.date) as visit_days
        from bookings b
        where b.status in ('завершено', 'активно')
          and b.start_time >= window_start
          and b.start_time < window_start + make_interval(days => days)
        group by b.user_id
    ),
    outcome as (
        select l.club_id,
               case measure when 'visits_30d' then l.expected_visits_30d else l.expected_visits_90d end
                   as predicted,
               coalesce(a.visit_days, 0) as actual
        from prediction_log l
        left join actual a on a.user_id = l.user_id
        where l.version = graded_version
    ),
    scoped as (
        select 0 as club_id, predicted, actual from outcome
        union all
        select club_id, predicted, actual from outcome where club_id is not null
    )
    insert into model_grades (version, measure, club_id, window_start, window_end, n, predicted, actual, mae)
    select graded_version, measure, club_id, window_start, window_start + make_interval(days => days), count(*),
           sum(predicted), sum(actual), avg(abs(predicted - actual))
    from scoped
    where predicted is not null
    group by club_id
$$;


-- Lifetime value: what each customer paid for bookings that started in the 365 days after data end.
create or replace function grade_clv(graded_version text, window_start timestamptz)
returns void language sql as $$
    with actual as (
        select b.user_id, sum(p.amount) as revenue
        from bookings b
        join payments p on p.booking_id = b.id and p.payment_status = 'успешно'
        where b.start_time >= window_start
          and b.start_time < window_start + interval '365 days'
        group by b.user_id
    ),
    outcome as (
        select l.club_id, l.clv_12m as predicted, coalesce(a.revenue, 0) as actual
        from prediction_log l
        left join actual a on a.user_id = l.user_id
        where l.version = graded_version and l.clv_12m is not null
    ),
    scoped as (
        select 0 as club_id, predicted, actual from outcome
        union all
        select club_id, predicted, actual from outcome where club_id is not null
    )
    insert into model_grades (version, measure, club_id, window_start, window_end, n, predicted, actual, mae)
    select graded_version, 'clv_12m', club_id, window_start, window_start + interval '365 days', count(*),
           sum(predicted), sum(actual), avg(abs(predicted - actual))
    from scoped
    group by club_id
$$;


-- Revenue: the forecast's first `days` days against each club's (and the chain's) revenue, on the
-- booking's local day, as the forecast's history counts it.
create or replace function grade_revenue(graded_version text, window_start timestamptz, days integer)
returns void language sql as $$
    with span as (
        select min(f.day) as first_day, min(f.day) + days - 1 as last_day
        from revenue_forecasts f
        where f.version = graded_version
    ),
    forecast as (
        select f.club_id, f.day, f.yhat, f.lo_80, f.hi_80, f.lo_95, f.hi_95
        from revenue_forecasts f
        cross join span s
        where f.version = graded_version and f.day <= s.last_day
    ),
    daily as (
        select cb.club_id, cb.date as day, sum(p.amount) as revenue
        from club_bookings cb
        join payments p on p.booking_id = cb.booking_id and p.payment_status = 'успешно'
        cross join span s
        where cb.date between s.first_day and s.last_day
          and cb.start_time >= s.first_day - interval '2 days'   -- index-friendly superset of the days
          and cb.start_time < s.last_day + interval '2 days'
        group by cb.club_id, cb.date
    ),
    actual as (
        select club_id, day, revenue from daily
        union all
        select 0, day, sum(revenue) from daily group by day
    ),
    joined as (
        select f.*, coalesce(a.revenue, 0) as revenue
        from forecast f
        left join actual a on a.club_id = f.club_id and a.day = f.day
    )
    insert into model_grades (version, measure, club_id, window_start, window_end, n, predicted, actual, mae,
                              coverage_80, coverage_95)
    select graded_version, 'revenue', club_id, window_start, window_start + make_interval(days => days), count(*),
           sum(yhat), sum(revenue), avg(abs(yhat - revenue)),
           avg((revenue between lo_80 and hi_80)::integer), avg((revenue between lo_95 and hi_95)::integer)
    from joined
    group by club_id
$$;


-- Grade every measure whose horizon has passed (at data_as_of()) and that is not graded yet; returns
-- how many were graded. Safe to run at any time and from any client (the app runs it with the views'
-- refresh and before each retrain).
create or replace function grade_predictions() returns integer
language plpgsql as $$
declare
    v record;
    moment timestamptz := data_as_of();
    done integer := 0;
begin
    perform set_config('work_mem', '256MB', true);
    for v in
        select mv.version, mv.data_end,
               coalesce((mv.metrics ->> 'churn_horizon_days')::integer,
                        product_threshold('churn_window_days')::integer) as horizon,
               exists (select 1 from prediction_log l where l.version = mv.version) as logged,
               exists (select 1 from revenue_forecasts f where f.version = mv.version) as forecast,
               array(select g.measure from model_grades g where g.version = mv.version and g.club_id = 0) as graded
        from model_versions mv
        where mv.data_end is not null and mv.data_end <= moment
        order by mv.data_end
    loop
        if v.logged and not 'churn' = any(v.graded) and moment >= v.data_end + make_interval(days => v.horizon) then
            perform grade_churn(v.version, v.data_end, v.horizon);
            done := done + 1;
        end if;
        if v.logged and not 'visits_30d' = any(v.graded) and moment >= v.data_end + interval '30 days' then
            perform grade_visits(v.version, v.data_end, 30, 'visits_30d');
            done := done + 1;
        end if;
        if v.logged and not 'visits_90d' = any(v.graded) and moment >= v.data_end + interval '90 days' then
            perform grade_visits(v.version, v.data_end, 90, 'visits_90d');
            done := done + 1;
        end if;
        if v.logged and not 'clv_12m' = any(v.graded) and moment >= v.data_end + interval '365 days' then
            perform grade_clv(v.version, v.data_end);
            done := done + 1;
        end if;
        -- a day more, so the window's last local day is complete in every club
        if v.forecast and not 'revenue' = any(v.graded)
           and moment >= v.data_end + make_interval(days => v.horizon + 1) then
            perform grade_revenue(v.version, v.data_end, v.horizon);
            done := done + 1;
        end if;
    end loop;
    return done;
end $$;


-- Retention: a version's log is dropped once its 90-day measures are graded, except that the first
-- version published (or backtested) in each calendar month keeps it until its 12-month lifetime values
-- are graded; nothing is kept past 400 days, and the active version always keeps its log. Grades are
-- kept for good. Returns the rows dropped.
create or replace function prune_prediction_log() returns integer
language sql as $$
    with monthly as (
        select distinct on (date_trunc('month', v.data_end)) v.version
        from model_versions v
        where v.activated_at is not null or v.status = 'backtest'
        order by date_trunc('month', v.data_end), v.data_end, v.version
    ),
    graded as (
        select g.version, bool_or(g.measure = 'visits_90d') as visits_90d, bool_or(g.measure = 'clv_12m') as clv
        from model_grades g
        where g.club_id = 0
        group by g.version
    ),
    done as (
        select v.version
        from model_versions v
        left join graded g on g.version = v.version
        where v.status <> 'active'
          and (v.data_end < data_as_of() - interval '400 days'
               or (coalesce(g.visits_90d, false)
                   and (coalesce(g.clv, false) or v.version not in (select version from monthly))))
    ),
    gone as (
        delete from prediction_log l using done d where l.version = d.version returning 1
    )
    select count(*)::integer from gone
$$;


-- How each version's live predictions turned out, per scope, for any SQL client: the whole chain
-- (club_id 0) when :club_ids holds every club, and each club in :club_ids (its customers by favourite
-- club, and its own revenue forecast). An empty array sees nothing. `promised_auc` is the churn model's
-- ROC AUC on held-out customers at training; `below_promise` is true when the live AUC is lower by
-- more than product_threshold('live_auc_tolerance') and by more than product_threshold('live_auc_z')
-- standard errors of the difference. Columns of measures not graded yet are null.
create or replace function ai_model_performance(club_ids integer[])
returns table (
    version               text,
    status                text,
    trained_at            timestamptz,
    data_end              timestamptz,
    club_id               integer,
    horizon_days          integer,
    graded_at             timestamptz,
    promised_auc          double precision,
    promised_auc_se       double precision,
    customers             integer,
    predicted_churn_rate  double precision,
    actual_churn_rate     double precision,
    live_auc              double precision,
    live_auc_se           double precision,
    live_brier            double precision,
    auc_drop              double precision,
    below_promise         boolean,
    expected_visits_30d   double precision,
    actual_visits_30d     double precision,
    visits_30d_mae        double precision,
    expected_visits_90d   double precision,
    actual_visits_90d     double precision,
    predicted_clv_12m     double precision,
    actual_revenue_12m    double precision,
    forecast_revenue      double precision,
    actual_revenue        double precision,
    forecast_days         integer,
    forecast_mae          double precision,
    coverage_80           double precision,
    coverage_95           double precision
)
language sql stable as $$
    with scope as (
        select c.id as club_id from clubs c where c.id = any(club_ids)
        union all
        select 0 where exists (select 1 from clubs) and not exists (select 1 from clubs c where c.id <> all(club_ids))
    ),
    limits as (
        select product_threshold('live_auc_tolerance')::float8 as tolerance,
               product_threshold('live_auc_z')::float8 as z
    ),
    grades as (
        select g.version, g.club_id, max(g.graded_at) as graded_at,
               max(g.n) filter (where g.measure = 'churn') as customers,
               max(g.predicted) filter (where g.measure = 'churn') as predicted_churn_rate,
               max(g.actual) filter (where g.measure = 'churn') as actual_churn_rate,
               max(g.auc) filter (where g.measure = 'churn') as live_auc,
               max(g.auc_se) filter (where g.measure = 'churn') as live_auc_se,
               max(g.brier) filter (where g.measure = 'churn') as live_brier,
               max(g.predicted) filter (where g.measure = 'visits_30d') as expected_visits_30d,
               max(g.actual) filter (where g.measure = 'visits_30d') as actual_visits_30d,
               max(g.mae) filter (where g.measure = 'visits_30d') as visits_30d_mae,
               max(g.predicted) filter (where g.measure = 'visits_90d') as expected_visits_90d,
               max(g.actual) filter (where g.measure = 'visits_90d') as actual_visits_90d,
               max(g.predicted) filter (where g.measure = 'clv_12m') as predicted_clv_12m,
               max(g.actual) filter (where g.measure = 'clv_12m') as actual_revenue_12m,
               max(g.predicted) filter (where g.measure = 'revenue') as forecast_revenue,
               max(g.actual) filter (where g.measure = 'revenue') as actual_revenue,
               max(g.n) filter (where g.measure = 'revenue') as forecast_days,
               max(g.mae) filter (where g.measure = 'revenue') as forecast_mae,
               max(g.coverage_80) filter (where g.measure = 'revenue') as coverage_80,
               max(g.coverage_95) filter (where g.measure = 'revenue') as coverage_95
        from model_grades g
        join scope s on s.club_id = g.club_id
        group by g.version, g.club_id
    ),
    promised as (
        select v.*, (v.metrics -> 'churn' ->> 'roc_auc')::float8 as promised_auc,
               (v.metrics -> 'churn' ->> 'roc_auc_se')::float8 as promised_auc_se,
               coalesce((v.metrics ->> 'churn_horizon_days')::integer,
                        product_threshold('churn_window_days')::integer) as horizon_days
        from model_versions v
    )
    select p.version, p.status, p.trained_at, p.data_end, g.club_id, p.horizon_days, g.graded_at,
           p.promised_auc, p.promised_auc_se,
           g.customers, g.predicted_churn_rate, g.actual_churn_rate, g.live_auc, g.live_auc_se, g.live_brier,
           p.promised_auc - g.live_auc,
           coalesce(p.promised_auc - g.live_auc
                    > greatest(l.tolerance, l.z * sqrt(coalesce(p.promised_auc_se, 0) ^ 2
                                                       + coalesce(g.live_auc_se, 0) ^ 2)), false),
           g.expected_visits_30d, g.actual_visits_30d, g.visits_30d_mae, g.expected_visits_90d,
           g.actual_visits_90d, g.predicted_clv_12m, g.actual_revenue_12m,
           g.forecast_revenue, g.actual_revenue, g.forecast_days, g.forecast_mae, g.coverage_80, g.coverage_95
    from grades g
    join promised p on p.version = g.version
    cross join limits l
    order by p.data_end desc, p.version desc, g.club_id
$$;

-- The same for the whole chain and every club.
create or replace function ai_model_performance()
returns table (
    version               text,
    status                text,
    trained_at            timestamptz,
    data_end              timestamptz,
    club_id               integer,
    horizon_days          integer,
    graded_at             timestamptz,
    promised_auc          double precision,
    promised_auc_se       double precision,
    customers             integer,
    predicted_churn_rate  double precision,
    actual_churn_rate     double precision,
    live_auc              double precision,
    live_auc_se           double precision,
    live_brier            double precision,
    auc_drop              double precision,
    below_promise         boolean,
    expected_visits_30d   double precision,
    actual_visits_30d     double precision,
    visits_30d_mae        double precision,
    expected_visits_90d   double precision,
    actual_visits_90d     double precision,
    predicted_clv_12m     double precision,
    actual_revenue_12m    double precision,
    forecast_revenue      double precision,
    actual_revenue        double precision,
    forecast_days         integer,
    forecast_mae          double precision,
    coverage_80           double precision,
    coverage_95           double precision
)
language sql stable as $$
    select * from ai_model_performance(array(select c.id from clubs c))
$$;

-- Fresh planner statistics for the tables a retrain has just written. Without them the planner took a new
-- version's scores for one row, and the Customers page's segment overview joined them to the customers'
-- revenue by a nested loop: 13 s on CDNOW's 23,570 customers, until autovacuum came by. ANALYZE needs the
-- tables' owner, and a retrain started from a page runs as oyna_app, so this runs with its owner's rights
-- (as refresh_analytics does), on these fixed tables only.
create or replace function analyze_model_tables() returns void
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    analyze customer_scores;
    analyze prediction_log;
    analyze revenue_forecasts;
end
$$;

revoke execute on function analyze_model_tables() from public;
select oyna_grant_roles();  -- oyna_app may run it

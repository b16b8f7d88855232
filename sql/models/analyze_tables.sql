-- Fresh planner statistics for the rows a retrain has just written (migration 020).
select analyze_model_tables()

-- Drop the prediction logs grading no longer needs (the retention rule is in migration 014).
select prune_prediction_log()

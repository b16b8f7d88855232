-- How each version's live predictions turned out, for the clubs in :club_ids (migration 014; an empty
-- list returns nothing).
select * from ai_model_performance(cast(:club_ids as int[]))

-- Every club's id: the scope of a caller that acts for the whole chain (the retrain, and the app's
-- accounts until they carry a club scope of their own).
select id as club_id from clubs order by id

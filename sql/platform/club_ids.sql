-- Every club's id: the scope of the chain's own work (the retrain) and of accounts of the whole chain.
select id as club_id from clubs order by id

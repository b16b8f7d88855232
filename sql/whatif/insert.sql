-- Save a scenario's levers and the clubs it covers; the result is written by scenario_set_result in the
-- same transaction.
insert into scenarios (name, author, levers, club_ids)
values (:name, :author, cast(:levers as jsonb), cast(:club_ids as int[]))
returning id, created_at

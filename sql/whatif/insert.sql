-- Save a scenario's levers; the result is written by scenario_set_result in the same transaction.
insert into scenarios (name, author, levers)
values (:name, :author, cast(:levers as jsonb))
returning id, created_at

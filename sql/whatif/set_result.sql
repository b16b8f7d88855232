-- Attach the result to a scenario saved in the same transaction.
update scenarios set result = cast(:result as jsonb) where id = :id

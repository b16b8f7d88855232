-- One saved scenario with its levers and result.
select id, name, author, levers, result, created_at from scenarios where id = :id

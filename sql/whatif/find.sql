-- The saved scenario with this author and name, locked for the rest of the transaction.
select id from scenarios where author = :author and name = :name for update

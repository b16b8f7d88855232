-- Delete a scenario if this author saved it; returns the id when it was deleted.
delete from scenarios where id = :id and author = :author returning id

-- Delete a scenario if this author saved it; returns it when it was deleted.
delete from scenarios where id = :id and author = :author returning id, name, club_ids

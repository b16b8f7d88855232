-- Remove an author's scenario by name (to overwrite it); returns its id.
delete from scenarios where author = :author and name = :name returning id

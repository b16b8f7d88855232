-- Imported history before a club's opening date moves the opening date back.
update clubs set opened_on = :opened_on where id = :club_id and opened_on > :opened_on

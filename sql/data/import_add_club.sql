-- A club an import names for the first time: open 24 hours, opened on its first visit's day.
insert into clubs (name, city, timezone, opened_on)
values (:name, :city, :timezone, :opened_on)
returning id

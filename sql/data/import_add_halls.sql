-- Halls an import names for the first time.
insert into halls (club_id, name, hall_type, hourly_price)
select * from unnest(cast(:clubs as int[]), cast(:names as text[]), cast(:hall_types as text[]),
                     cast(:prices as numeric[]))
returning id, club_id, name

-- Seats an import adds (named by the file, or added to place visits that name no seat).
insert into seats (hall_id, label, device)
select * from unnest(cast(:hall_ids as int[]), cast(:labels as text[]), cast(:devices as text[]))
returning id, hall_id, label

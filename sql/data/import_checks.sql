-- What a bulk import checks once, set-based, instead of row by row: overlapping bookings on the
-- seats it touched (the seat guard's rule) and visits on seats that do not exist (the foreign key).
select (select count(*) from seat_overlaps where seat_id = any(cast(:seat_ids as int[]))) as overlaps,
       (select count(*) from import_visits v left join import_placed p on p.row_no = v.row_no
         where coalesce(p.seat_id, v.seat_id) is not null
           and not exists (select 1 from seats s where s.id = coalesce(p.seat_id, v.seat_id))) as missing_seats

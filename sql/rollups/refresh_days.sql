-- Rebuild up to :batch_days queued (club, day) pairs of rollup_hall_hours, rollup_seat_days and
-- rollup_club_days, in the caller's transaction (migration 023). Returns how many days it rebuilt (0: none).
select rollup_refresh_days(cast(:batch_days as integer)) as days

-- After a refresh: mv_daily_club_stats again when days changed (concurrently once populated), and the
-- refresh log (migration 023).
select rollup_publish(cast(:days as integer), cast(:months as integer), cast(:seconds as double precision))

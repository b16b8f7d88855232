-- Which database this is, for the files in a models folder several databases may share: when its first
-- migration was applied (a backup and restore carry schema_migrations over, so a restored copy is the same).
select min(applied_at)::text from schema_migrations

-- Serialise writers that decide from the account count (released at commit).
select pg_advisory_xact_lock(:key)

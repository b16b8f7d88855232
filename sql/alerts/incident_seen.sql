-- An open incident seen again: its level and words as they are now.
update alert_incidents
set level = :level,
    texts = cast(:texts as jsonb),
    last_seen_at = :now
where id = :id

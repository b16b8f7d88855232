-- A new incident, seen now.
insert into alert_incidents (key, kind, club_id, level, texts, opened_at, last_seen_at)
values (:key, :kind, :club_id, :level, cast(:texts as jsonb), :now, :now)

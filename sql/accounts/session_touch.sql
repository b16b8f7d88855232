-- A run a person caused: the session is in use (and seen from this address).
update app_sessions set last_seen_at = now(), address = coalesce(:address, address) where id = :id

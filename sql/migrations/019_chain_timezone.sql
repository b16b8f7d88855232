-- The chain's main time zone: the one most of its clubs use (ties by name; UTC without clubs).
-- Month ends of the segment history, campaign start dates and the forecast's cut-off are taken there.
create or replace function chain_timezone() returns text
language sql stable as $$
    select coalesce(
        (select timezone from clubs group by timezone order by count(*) desc, timezone limit 1),
        'UTC')
$$;

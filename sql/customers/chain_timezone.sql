-- The chain's main time zone: the one most of its clubs use (month ends are taken there).
select coalesce(
    (select timezone from clubs group by timezone order by count(*) desc, timezone limit 1),
    'UTC'
) as timezone

-- Count one sign-in attempt as a failure for each of :keys that is not locked (a success refunds it);
-- accounts/throttle_forget ran first. From :threshold failures on, the key is locked for
-- :base_seconds * 2^(failures - :threshold) seconds, at most :cap_seconds. A key that is locked (by a
-- parallel attempt) is left alone and returns no row.
insert into sign_in_throttle as t (key, failures, last_failure_at, locked_until)
select k, 1, now(),
       case when 1 >= :threshold then now() + make_interval(secs => cast(:base_seconds as double precision)) end
from unnest(cast(:keys as text[])) as k
on conflict (key) do update
set failures = t.failures + 1,
    last_failure_at = now(),
    locked_until = case
        when t.failures + 1 >= :threshold then now() + make_interval(secs => least(
            cast(:base_seconds as double precision)
                * power(cast(2 as double precision), least(t.failures + 1 - :threshold, 30)),
            cast(:cap_seconds as double precision)))
    end
where t.locked_until is null or t.locked_until <= now()
returning key, failures, locked_until

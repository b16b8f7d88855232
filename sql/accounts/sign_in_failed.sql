-- One more consecutive failure; from :threshold failures on, lock the account for
-- :base_seconds * 2^(failures - :threshold) seconds, at most :cap_seconds.
update app_accounts
set failed_attempts = failed_attempts + 1,
    locked_until = case
        when failed_attempts + 1 >= :threshold then
            now() + make_interval(secs => least(
                cast(:base_seconds as double precision)
                    * power(cast(2 as double precision), least(failed_attempts + 1 - :threshold, 30)),
                cast(:cap_seconds as double precision)))
        else locked_until
    end
where id = :id
returning failed_attempts, locked_until

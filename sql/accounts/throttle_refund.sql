-- A successful sign-in: forget the name's failures, and take back the failure charged to the address
-- for this attempt (unlocking it when that brings it under :threshold).
with forget as (
    delete from sign_in_throttle where key = :name_key
)
update sign_in_throttle
set failures = greatest(failures - 1, 0),
    locked_until = case when failures - 1 >= :threshold then locked_until end
where key = :address_key

-- Expand the queue's markers into days and months, and queue the days that enter or leave a club's span
-- (a new local day, an earlier first booking ...): rollup_plan() of migration 023. Returns the rows queued.
select rollup_plan() as queued

-- Rebuild up to :batch_months queued customers' months of rollup_customer_months (or one month of every
-- customer), in the caller's transaction (migration 023). Returns how many it rebuilt (0: none queued).
select rollup_refresh_customers(cast(:batch_months as integer)) as months

-- Monthly partitions of the audit_logs and activity_log tables from last month through :months_ahead
-- months from now (their DEFAULT partitions catch anything outside, so no write ever fails); returns
-- how many months were checked.
select ensure_audit_partitions((current_date - interval '1 month')::date,
                               (current_date + make_interval(months => cast(:months_ahead as int)))::date)
     + ensure_month_partitions('activity_log', 'at', (current_date - interval '1 month')::date,
                               (current_date + make_interval(months => cast(:months_ahead as int)))::date)
       as months

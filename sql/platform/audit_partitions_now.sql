select ensure_audit_partitions(current_date - 1, current_date + 31)

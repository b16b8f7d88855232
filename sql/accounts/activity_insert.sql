-- One row of the activity log.
insert into activity_log (account_id, username, role, via, session_id, address, action, object_type, object_id,
                          club_ids, details)
values (:account_id, :username, :role, :via, :session_id, :address, :action, :object_type, :object_id,
        cast(:club_ids as int[]), cast(:details as jsonb))

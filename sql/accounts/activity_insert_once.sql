-- One row of the activity log, unless the same session recorded the same action on the same object within
-- :within_seconds (a page that reruns while a person looks at one customer records one view).
insert into activity_log (account_id, username, role, via, session_id, address, action, object_type, object_id,
                          club_ids, details)
select :account_id, :username, :role, :via, :session_id, :address, :action, :object_type, :object_id,
       cast(:club_ids as int[]), cast(:details as jsonb)
where not exists (
    select 1 from activity_log a
    where a.at > now() - make_interval(secs => cast(:within_seconds as double precision))
      and a.action = :action
      and a.object_id is not distinct from cast(:object_id as text)
      and a.account_id is not distinct from cast(:account_id as integer)
      and a.session_id is not distinct from cast(:session_id as bigint)
)

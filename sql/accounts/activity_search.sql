-- The Activity page: rows between :since and :until, newest first, optionally only :actions (empty: all),
-- a username containing :who and a :text found in the object, the address or the details.
-- A viewer who is not :whole_chain sees rows whose clubs all lie in :club_ids (rows about no club are
-- chain-wide and stay hidden), plus the rows they made themselves (:viewer_id).
select a.at,
       coalesce(a.username, case a.via when 'cli' then 'oyna (' || coalesce(a.details ->> 'os_user', '?') || ')'
                                        else a.via end) as who,
       a.role,
       a.via,
       a.action,
       a.object_type,
       a.object_id,
       a.address,
       a.club_ids,
       a.details,
       a.session_id
from activity_log a
where a.at >= :since
  and a.at < :until
  and (cardinality(cast(:actions as text[])) = 0 or a.action = any(cast(:actions as text[])))
  and (cast(:who as text) is null or strpos(lower(coalesce(a.username, a.via)), :who) > 0)
  and (cast(:text as text) is null
       or strpos(lower(concat_ws(' ', a.object_type, a.object_id, a.address, a.details::text)), lower(:text)) > 0)
  and (:whole_chain
       or a.account_id = :viewer_id
       or (cardinality(a.club_ids) > 0 and a.club_ids <@ cast(:club_ids as int[])))
order by a.at desc, a.id desc
limit :limit

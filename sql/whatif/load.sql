-- One saved scenario with its levers and result, when the account may see it (see whatif/list).
select id, name, author, levers, result, created_at
from scenarios
where id = :id
  and (:whole_chain or (cardinality(club_ids) > 0 and club_ids <@ cast(:club_ids as int[])))

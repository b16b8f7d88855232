-- The ids of the clubs an account (:account_id) may see: every club for an account of the whole chain,
-- its own clubs otherwise; none for an account that does not exist (a scope fails closed).
select c.id as club_id
from clubs c
join app_accounts a on a.id = cast(:account_id as integer)
where a.whole_chain
   or exists (select 1 from app_account_clubs ac where ac.account_id = a.id and ac.club_id = c.id)
order by c.id

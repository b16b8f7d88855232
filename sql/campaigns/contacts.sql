-- Names and contacts of customers :user_ids whose favourite club (under the active model) is in
-- :club_ids (an empty list returns nothing). The service masks e-mails and phones for analysts.
select u.id as user_id,
       u.full_name,
       u.email,
       u.phone,
       c.name as favourite_club
from users u
join customer_scores s on s.user_id = u.id and s.version = active_model_version()
left join clubs c on c.id = s.club_id
where u.id = any(cast(:user_ids as int[]))
  and s.club_id = any(cast(:club_ids as int[]))

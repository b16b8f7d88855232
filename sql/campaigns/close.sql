-- Close campaign :campaign_id (when every club of it is among :club_ids) with its final result.
update campaigns
set closed_at = now(), closed_by = :closed_by, result = cast(:result as jsonb)
where id = :campaign_id
  and closed_at is null
  and club_ids <@ cast(:club_ids as int[])
returning id

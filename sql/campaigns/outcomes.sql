-- What each customer of campaign :campaign_id did after its start, when every club of the campaign is
-- among :club_ids: visits (completed or in-progress bookings) and revenue (successful payments of any
-- booking) at the campaign's clubs, from starts_at until the earliest of the window's end, the
-- campaign's closing and :as_of (null: data_as_of()). measured_until is that moment.
with c as (
    select c.id, c.club_ids, c.starts_at,
           least(c.ends_at, coalesce(c.closed_at, 'infinity'),
                 coalesce(cast(:as_of as timestamptz), data_as_of())) as until
    from campaigns c
    where c.id = :campaign_id
      and c.club_ids <@ cast(:club_ids as int[])
),
booked as (
    select b.booking_id, b.user_id, b.status
    from c
    join campaign_assignments a on a.campaign_id = c.id
    join club_bookings b on b.user_id = a.user_id
    where b.start_time >= c.starts_at
      and b.start_time < c.until
      and b.club_id = any(c.club_ids)
),
per_user as (
    select k.user_id,
           count(*) filter (where k.status in ('завершено', 'активно')) as visits,
           coalesce(sum(p.paid), 0) as revenue
    from booked k
    left join lateral (
        select sum(p.amount) as paid
        from payments p
        where p.booking_id = k.booking_id and p.payment_status = 'успешно'
    ) p on true
    group by k.user_id
)
select a.user_id, a.treated, a.risk_band, a.churn_risk::float8 as churn_risk,
       coalesce(u.visits, 0)::int as visits, coalesce(u.revenue, 0)::float8 as revenue,
       c.until as measured_until
from c
join campaign_assignments a on a.campaign_id = c.id
left join per_user u on u.user_id = a.user_id
order by a.user_id

-- One customer with the active model's scores, when the customer belongs to one of :club_ids.
-- A customer belongs to every club they have a booking at (any status) and to their favourite club
-- under the active model; anyone else returns no row, and so does an empty list. The favourite club is
-- named only when it is one of :club_ids; visited_club_ids are the clubs of :club_ids the customer booked.
select u.id as user_id, u.full_name, u.email, u.phone, u.signed_up_at,
       case when s.club_id = any(cast(:club_ids as int[])) then c.name end as favourite_club,
       array(select distinct b.club_id from club_bookings b
             where b.user_id = u.id and b.club_id = any(cast(:club_ids as int[])) order by b.club_id)
           as visited_club_ids, s.segment, s.r_score, s.f_score, s.m_score,
       s.churn_risk::float8 as churn_risk, s.probability_alive::float8 as probability_alive,
       s.expected_visits_30d::float8 as expected_visits_30d, s.expected_visits_90d::float8 as expected_visits_90d,
       s.clv_6m::float8 as clv_6m, s.clv_12m::float8 as clv_12m,
       s.clv_12m_lo::float8 as clv_12m_lo, s.clv_12m_hi::float8 as clv_12m_hi,
       s.upsell_score::float8 as upsell_score, s.next_visit_date, s.next_visit_lo, s.next_visit_hi,
       s.recommendations,
       -- the share of the version's customers with a higher risk: "top 5%" is a rank, risk 80 a probability
       (select count(*) filter (where o.churn_risk > s.churn_risk)::float8 / nullif(count(*), 0)
        from customer_scores o where o.version = s.version) as risk_top_share,
       v.data_end as scored_at,
       s.recency_days::float8 as recency_days, s.frequency, s.monetary_total::float8 as monetary_total
from users u
left join customer_scores s on s.user_id = u.id and s.version = active_model_version()
left join clubs c on c.id = s.club_id
left join model_versions v on v.version = s.version
where u.id = :user_id
  and (s.club_id = any(cast(:club_ids as int[]))
       or exists (select 1 from club_bookings b
                  where b.user_id = u.id and b.club_id = any(cast(:club_ids as int[]))))

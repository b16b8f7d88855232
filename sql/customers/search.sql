-- Scored customers of the active model whose favourite club is in :club_ids (an empty list returns
-- nothing), filtered; an empty :segments list means every segment. :tsquery uses the GIN index on users
-- (names and e-mails); with :names_only (people who may not see contacts) it matches the first word of the
-- name only (first_name_tsvector, migration 022, with its own GIN index), so neither an e-mail fragment nor
-- a surname's first letters find anyone.
select u.id as user_id,
       u.full_name,
       u.email,
       u.phone,
       c.name as favourite_club,
       s.segment,
       s.churn_risk::float8 as churn_risk,
       s.clv_12m::float8 as clv_12m,
       s.clv_12m_lo::float8 as clv_12m_lo,
       s.clv_12m_hi::float8 as clv_12m_hi,
       s.probability_alive::float8 as probability_alive,
       s.upsell_score::float8 as upsell_score,
       s.recency_days::float8 as recency_days,
       s.frequency,
       s.monetary_total::float8 as monetary_total,
       s.next_visit_date,
       s.recommendations -> 0 ->> 'label_en' as top_action,
       s.recommendations -> 0 ->> 'code' as top_action_code
from customer_scores s
join users u on u.id = s.user_id
left join clubs c on c.id = s.club_id
where s.version = active_model_version()
  and s.club_id = any(cast(:club_ids as int[]))
  and (cardinality(cast(:segments as text[])) = 0 or s.segment = any(cast(:segments as text[])))
  -- a score the retrain left out (not enough data) passes only the filters that keep everyone
  and coalesce(s.churn_risk between :min_risk and :max_risk, :min_risk = 0 and :max_risk = 100)
  and coalesce(s.clv_12m >= :min_clv, :min_clv = 0)
  and (cast(:max_clv as numeric) is null or s.clv_12m <= :max_clv)
  and (cast(:tsquery as text) is null
       or case when :names_only then first_name_tsvector(u.full_name) @@ to_tsquery('russian', :tsquery)
               else to_tsvector('russian', u.full_name || ' ' || coalesce(u.email, ''))
                    @@ to_tsquery('russian', :tsquery) end)
order by s.churn_risk desc nulls last, s.clv_12m desc nulls last
limit :limit

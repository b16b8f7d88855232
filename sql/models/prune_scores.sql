-- Keep the scores of the newest versions only; the active version always keeps them.
delete from customer_scores
where version in (
    select version from model_versions
    where status <> 'active'
    order by trained_at desc
    offset :keep
)

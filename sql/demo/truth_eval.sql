-- EVALUATION ONLY: the demo simulator's hidden next 30 days, as "no visit" flags, with the data end they follow.
select
    g.data_end,
    f.user_id,
    (f.visits_next_30d = 0)::integer as no_visit_30d
from demo_truth.customer_future f
cross join demo_truth.generation g
order by f.user_id

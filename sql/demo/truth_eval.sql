-- EVALUATION ONLY: the demo simulator's hidden next 30 days ("no visit" flags) and each customer's true
-- state (the moment they stopped, their true visit rate per week) and sign-up, with the data end they follow.
select
    g.data_end,
    f.user_id,
    (f.visits_next_30d = 0)::integer as no_visit_30d,
    f.churned_at,
    f.true_visit_rate,
    u.signed_up_at
from demo_truth.customer_future f
join users u on u.id = f.user_id
cross join demo_truth.generation g
order by f.user_id

-- One row per customer of the staged visits: the name, e-mail and phone of their latest visit that gives
-- one (the last in the file among visits that start together), and the earlier of the sign-up time given
-- and the first visit.
select customer_key,
       (array_agg(customer_name order by start_time desc, row_no desc)
            filter (where customer_name is not null))[1] as full_name,
       (array_agg(email order by start_time desc, row_no desc) filter (where email is not null))[1] as email,
       (array_agg(phone order by start_time desc, row_no desc) filter (where phone is not null))[1] as phone,
       least(min(signed_up_at), min(start_time)) as signed_up_at
from import_visits
group by customer_key
order by customer_key

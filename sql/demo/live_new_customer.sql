insert into users (full_name, email, phone, signed_up_at)
values (:full_name, :email, :phone, now())
returning id

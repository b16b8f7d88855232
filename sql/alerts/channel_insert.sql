-- A new channel of an account; no row comes back when the account already has one by that name.
insert into alert_channels (account_id, name, kind, target, language)
values (:account_id, :name, :kind, :target, :language)
on conflict (account_id, name) do nothing
returning id

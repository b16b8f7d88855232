-- A new campaign; it starts at midnight of :starts_on in :timezone and lasts :window_days days.
insert into campaigns (name, offer, cost_per_contact, window_days, starts_on, starts_at, ends_at,
                       control_share, seed, club_ids, audience, model_version, created_by)
select :name, :offer, :cost_per_contact, :window_days, cast(:starts_on as date), t.starts_at,
       t.starts_at + make_interval(days => cast(:window_days as int)),
       :control_share, :seed, cast(:campaign_clubs as int[]), cast(:audience as jsonb), :model_version, :created_by
from (select cast(:starts_on as date)::timestamp at time zone cast(:timezone as text) as starts_at) t
returning id

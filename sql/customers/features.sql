-- Per-customer features at :cutoff, from bookings that started and payments made before it.
-- Visits are live or completed bookings; spend is successful payments. Times are in days.
with

past_bookings as (  -- every booking that started before the cutoff, with its club, hall type and band
    select
        b.user_id,
        b.date,
        b.start_time,
        b.end_time,
        b.status,
        b.status in ('завершено', 'активно') as is_visit,
        b.club_id,
        b.hall_type,
        hb.band
    from club_bookings b
    join hour_bands hb on hb.hour = date_part('hour', b.local_start)::integer
    where b.start_time < :cutoff
),

booking_stats as (  -- one pass over a customer's bookings; visit figures filter on is_visit
    select
        user_id,
        count(*) filter (where is_visit) as frequency,
        min(start_time) filter (where is_visit) as first_visit,
        max(start_time) filter (where is_visit) as last_visit,
        min(date) filter (where is_visit) as first_day,
        max(date) filter (where is_visit) as last_day,
        count(distinct date) filter (where is_visit) as visit_days,
        avg(date_part('epoch', end_time - start_time) / 3600) filter (where is_visit) as avg_session_hours,
        count(*) filter (where is_visit and start_time >= cast(:cutoff as timestamptz) - interval '30 days')
            as visits_30d,
        count(*) filter (where is_visit and start_time >= cast(:cutoff as timestamptz) - interval '90 days')
            as visits_90d,
        avg((band = 'night')::integer) filter (where is_visit) as night_share,
        mode() within group (order by club_id) filter (where is_visit) as fav_club_id,
        mode() within group (order by hall_type) filter (where is_visit) as fav_hall_type,
        mode() within group (order by band) filter (where is_visit) as fav_band,
        avg((status = 'отменено')::integer) as cancel_share,
        avg((status = 'неявка')::integer) as no_show_share
    from past_bookings
    group by user_id
    having count(*) filter (where is_visit) > 0
),

payment_stats as (  -- payment attempts before the cutoff on bookings that started before it
    select
        b.user_id,
        sum(p.amount) filter (where p.payment_status = 'успешно') as monetary_total,
        sum(p.amount) filter (where p.payment_status = 'успешно'
                                and club_instant(p.paid_at, b.timezone)
                                    >= cast(:cutoff as timestamptz) - interval '90 days') as monetary_90d,
        avg((p.payment_status = 'ошибка')::integer) as failed_payment_share,
        sum(p.amount) filter (where p.payment_status = 'успешно' and b.status in ('завершено', 'активно')
                                and b.date > bs.first_day) as repeat_spend
    from payments p
    join club_bookings b on b.booking_id = p.booking_id
    join booking_stats bs on bs.user_id = b.user_id
    where club_instant(p.paid_at, b.timezone) < :cutoff
      and b.start_time < :cutoff
    group by b.user_id
),

features as (
    select
        bs.user_id,
        date_part('epoch', cast(:cutoff as timestamptz) - bs.last_visit) / 86400 as recency_days,
        bs.frequency,
        date_part('epoch', cast(:cutoff as timestamptz) - bs.first_visit) / 86400 as tenure_days,
        coalesce(ps.monetary_total, 0)::float8 as monetary_total,
        (coalesce(ps.monetary_total, 0) / bs.frequency)::float8 as monetary_avg,
        coalesce(ps.monetary_90d, 0)::float8 as monetary_90d,
        bs.avg_session_hours,
        -- pace since the first visit (at least a week), and the visits that pace "owes" since the last one
        bs.frequency * 7.0 / greatest(date_part('epoch', cast(:cutoff as timestamptz) - bs.first_visit) / 86400, 7)
            as visits_per_week,
        date_part('epoch', cast(:cutoff as timestamptz) - bs.last_visit) / 86400 * bs.frequency
            / greatest(date_part('epoch', cast(:cutoff as timestamptz) - bs.first_visit) / 86400, 7) as overdue_visits,
        bs.visits_30d,
        bs.visits_90d,
        -- pace of the last 30 days against the 30-90 day average per 30 days,
        -- (recent - earlier) / (recent + earlier): -1 stopped, 0 steady, +1 all recent
        coalesce((bs.visits_30d - (bs.visits_90d - bs.visits_30d) / 2.0)
                 / nullif(bs.visits_30d + (bs.visits_90d - bs.visits_30d) / 2.0, 0), 0)::float8 as trend,
        bs.fav_club_id,
        bs.fav_hall_type,
        bs.fav_band,
        bs.night_share::float8 as night_share,
        bs.cancel_share::float8 as cancel_share,
        bs.no_show_share::float8 as no_show_share,
        coalesce(ps.failed_payment_share, 0)::float8 as failed_payment_share,
        -- a sign-up time a chain's table does not have is taken as the first visit
        greatest(date_part('epoch', cast(:cutoff as timestamptz) - coalesce(u.signed_up_at, bs.first_visit)) / 86400, 0)
            as days_since_signup,
        -- BG/NBD and Gamma-Gamma inputs, in days of visits
        bs.visit_days - 1 as bg_frequency,
        bs.last_day - bs.first_day as bg_recency,
        greatest(date_part('epoch', cast(:cutoff as timestamptz) - bs.first_visit) / 86400,
                 bs.last_day - bs.first_day) as "bg_T",
        coalesce(ps.repeat_spend / nullif(bs.visit_days - 1, 0), 0)::float8 as bg_monetary
    from booking_stats bs
    join users u on u.id = bs.user_id
    left join payment_stats ps on ps.user_id = bs.user_id
)

select * from features
order by user_id

-- Daily revenue of each club on complete local days (today is still running).
select s.report_date, s.club_id, s.total_revenue::float8 as total_revenue
from mv_daily_club_stats s
join clubs c on c.id = s.club_id
where s.report_date < (now() at time zone c.timezone)::date
order by s.report_date, s.club_id

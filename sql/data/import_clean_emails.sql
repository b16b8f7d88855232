-- An imported e-mail that another customer already has, or that an earlier customer of the file
-- has, is left out (e-mails are unique). Returns the customers whose e-mail was left out.
with taken as (
    select s.external_id
    from import_customers s
    join users u on u.email = s.email
    where (u.external_source, u.external_id) is distinct from (cast(:source as text), s.external_id)
),
repeated as (
    select r.external_id
    from (select external_id, row_number() over (partition by email order by external_id) as n
          from import_customers
          where email is not null) r
    where r.n > 1
)
update import_customers s
set email = null
where s.external_id in (select external_id from taken union select external_id from repeated)
returning s.external_id

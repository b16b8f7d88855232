-- Who saved a scenario (to tell "not yours" from "not there").
select author from scenarios where id = :id

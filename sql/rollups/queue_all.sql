-- Queue everything: every club's days and every customer's months (oyna refresh --full, a demo load, a restore).
select rollup_mark_all(null)

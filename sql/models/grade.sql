-- Grade every prediction whose horizon has passed (migration 014); returns how many measures were graded.
select grade_predictions() as graded

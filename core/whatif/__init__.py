"""What-if scenarios: change prices, run a retention campaign, add seats or change opening hours, and
see what revenue and utilization would do, with an honest range.

The modules, by job:

    levers      Scenario, RetentionCampaign, OpeningHours and their checks (ScenarioError)
    baseline    load_baseline: the history a scenario starts from
    demand      turned-away demand of full hall-hours
    elasticity  the price elasticity estimate
    simulate    run_scenario: the levers applied to the baseline, with ranges
    campaign    who a retention campaign contacts, what it keeps and costs; the save rate campaigns measured
    result      ScenarioResult and its tables
    words       the levers and a result in plain words
    store       saved scenarios: save, list, load, delete, compare

The page uses the names exported here.
"""

from core.whatif.baseline import Baseline, load_baseline, make_baseline
from core.whatif.campaign import measured_save_rate
from core.whatif.levers import BANDS, HALL_TYPES, OpeningHours, RetentionCampaign, Scenario, ScenarioError
from core.whatif.result import ScenarioResult
from core.whatif.simulate import run_scenario
from core.whatif.store import (
    NotYourScenario,
    SavedScenario,
    ScenarioExists,
    ScenarioNotFound,
    compare_saved,
    compare_scenarios,
    delete_scenario,
    list_scenarios,
    load_scenario,
    save_scenario,
)
from core.whatif.words import pp

__all__ = [
    "BANDS", "HALL_TYPES", "Baseline", "NotYourScenario", "OpeningHours", "RetentionCampaign", "SavedScenario",
    "Scenario", "ScenarioError", "ScenarioExists", "ScenarioNotFound", "ScenarioResult", "compare_saved",
    "compare_scenarios", "delete_scenario", "list_scenarios", "load_baseline", "load_scenario", "make_baseline",
    "measured_save_rate", "pp", "run_scenario", "save_scenario",
]

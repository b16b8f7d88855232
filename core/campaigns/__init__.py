"""Retention campaigns: whom to target, a random control group, and what the campaign really did.

    targeting   Audience (top X% by risk, a risk threshold, a segment), the targeting control's numbers
    stats       the seeded, stratified split; differences of means and shares with 90% intervals
    store       CampaignPlan, create_campaign and close_campaign (managers only), the frozen groups
    measure     treated against control from the bookings and payments after the start, by risk band
    service     what the pages show and export (masked): targeting, the ledger, one campaign's report

docs/campaigns.md explains every number in plain words.
"""

from core.campaigns.measure import AssignmentChanged, CampaignError
from core.campaigns.store import (
    DEFAULT_CONTROL_SHARE,
    MIN_CONTROL,
    CampaignPlan,
    close_campaign,
    create_campaign,
    preview,
)
from core.campaigns.targeting import ASSUMED_SAVE_RATE, Audience, TargetingError

__all__ = ["ASSUMED_SAVE_RATE", "DEFAULT_CONTROL_SHARE", "MIN_CONTROL", "AssignmentChanged", "Audience",
           "CampaignError", "CampaignPlan", "TargetingError", "close_campaign", "create_campaign", "preview"]

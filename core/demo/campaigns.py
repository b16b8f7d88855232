"""How the demo's customers answer retention campaigns, kept as hidden truth in `demo_truth`.

When a campaign runs, the live feed gives it a true uplift (`demo_truth.campaign_uplift`): each treated
(contacted) customer independently responds with that probability, and a responder makes one extra visit
at a moment drawn uniformly over what is left of the window (`demo_truth.campaign_responses`). Control
customers are never touched, and nothing else about how customers visit or stop changes, so the
campaign's measured effect can be checked against what the demo really did (`truth`).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from core.platform.db import execute, query_df

DEFAULT_UPLIFT = 0.15   # the true chance that a contacted demo customer comes back once more in the window


class CampaignResponses:
    """The live feed's part in campaigns: draw who responds, and say whose extra visit is due."""

    def __init__(self, engine: Engine, uplift: float, rng: np.random.Generator) -> None:
        if not 0 <= uplift <= 1:
            raise ValueError("the campaign uplift must be between 0 and 1 (e.g. 0.15)")
        self.engine, self.uplift, self.rng = engine, float(uplift), rng

    def draw(self, now: datetime) -> int:
        """Fix the uplift of campaigns running at `now` and draw the responses of their treated customers
        not drawn yet; returns how many were drawn."""
        execute(self.engine, "demo/campaign_uplift_set", uplift=self.uplift, now=now)
        pending = query_df(self.engine, "demo/campaign_pending", now=now)
        if pending.empty:
            return 0
        n = len(pending)
        responds = self.rng.random(n) < pending.uplift.to_numpy(float)
        start = pd.to_datetime(pending.from_ts, utc=True)
        span = (pd.to_datetime(pending.to_ts, utc=True) - start).dt.total_seconds().to_numpy()
        visit_at = (start + pd.to_timedelta(self.rng.random(n) * span, unit="s")).dt.floor("s")
        execute(self.engine, "demo/campaign_responses_insert", campaign_ids=pending.campaign_id.astype(int).tolist(),
                user_ids=pending.user_id.astype(int).tolist(), responds=responds.tolist(),
                visit_ats=[t.to_pydatetime() if r else None for t, r in zip(visit_at, responds)])
        return n

    def due(self, now: datetime) -> list[tuple[int, int, int]]:
        """(campaign id, user id, club id) of every responder whose extra visit is due at `now`."""
        self.draw(now)
        rows = query_df(self.engine, "demo/campaign_due", now=now)
        return [(int(r.campaign_id), int(r.user_id), int(r.club_id)) for r in rows.itertuples()]

    def booked(self, campaign_id: int, user_id: int, booking_id: int) -> None:
        execute(self.engine, "demo/campaign_response_booked", campaign_id=campaign_id, user_id=user_id,
                booking_id=booking_id)

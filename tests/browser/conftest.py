"""One served app and one Chromium for every browser test of the session (each module makes its accounts)."""

from __future__ import annotations

import pytest

from tests.browser.support import chromium, streamlit_server


@pytest.fixture(scope="session")
def server(db_url, demo, trained, graded_backtests, model_settings):
    """The app, once a model is active and earlier predictions have been graded (the pages cache them). It
    keeps its model files where the session's retrains do, so a retrain here can compare with them."""
    with streamlit_server(db_url, extra_env={"OYNA_MODELS_DIR": str(model_settings.models_dir)}) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    with chromium() as b:
        yield b

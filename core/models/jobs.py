"""What a signed-in person may do with models: retrain in the background, activate or roll back.

The role check happens here, not in the page, so no button can bypass it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from core.i18n import N_, _, current_locale, use_locale
from core.models import registry
from core.accounts import Account, require
from core.models.training import RetrainResult, retrain
from core.platform.db import job_engine
from core.platform.settings import Settings


@dataclass
class RetrainJob:
    """A retrain running in a background thread; `fraction` and `message` feed a progress bar.

    `message` is an English step marked with N_ (show it as `_(job.message)`); `error` is already in the
    language of the person who started the job.
    """

    engine: Engine
    settings: Settings
    account: Account
    force: bool = False
    fraction: float = 0.0
    message: str = N_("waiting to start")
    language: str = field(default_factory=current_locale)
    result: RetrainResult | None = None
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> RetrainJob:
        require(self.account, "retrain")
        if registry.retrain_running(self.engine):
            raise registry.RetrainBusy(_("another retrain is already running; try again when it has finished"))
        self._thread = threading.Thread(target=self._run, name="oyna-retrain", daemon=True)
        self._thread.start()
        return self

    def _progress(self, fraction: float, message: str) -> None:
        self.fraction, self.message = fraction, message

    def _run(self) -> None:
        with use_locale(self.language):  # a thread does not inherit the session's language
            try:
                self.result = retrain(job_engine(self.engine, self.settings), self.settings, force=self.force,
                                      trained_by=self.account.username, progress=self._progress, actor=self.account)
            except registry.RetrainBusy as exc:
                self.error = str(exc)
            except Exception as exc:  # noqa: BLE001 - shown to the person who started it
                self.error = _("The retrain failed and the active version is unchanged: {error}").format(error=exc)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


def activate_version(engine: Engine, *, account: Account, version: str) -> None:
    require(account, "manage_models")
    registry.activate(engine, version=version, by=account.username, actor=account)

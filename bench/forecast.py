"""Benchmark core.forecast on synthetic club revenue: `python -m bench.forecast`.

Prints, for each horizon, MASE / sMAPE / interval coverage of our model next to
seasonal-naive(7) and statsforecast's AutoETS(season_length=7) on the same
rolling-origin windows, then the timings of one forecast and one backtest.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core.forecast.model import backtest, forecast

# (horizon, windows) pairs scored on every synthetic club.
RUNS = [(7, 8), (30, 4), (90, 2)]


def _load_generator():
    """The synthetic clubs live in the test module; load it by path (a `tests`
    package installed in site-packages would shadow a plain import)."""
    path = Path(__file__).resolve().parent.parent / "tests" / "forecast" / "test_forecast.py"
    spec = importlib.util.spec_from_file_location("_forecast_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SERIES, module.synthetic_revenue


def _scores(actual: np.ndarray, pred: np.ndarray, scale: float) -> tuple[float, float]:
    mase = float(np.mean(np.abs(actual - pred)) / scale)
    den = np.abs(actual) + np.abs(pred)
    ratio = np.divide(2 * np.abs(actual - pred), den, out=np.zeros_like(den), where=den > 0)
    return mase, float(100 * ratio.mean())


def _auto_ets(clubs: dict[str, pd.Series], horizon: int, windows: int) -> pd.DataFrame:
    """MASE, sMAPE and coverage of AutoETS per (club, window)."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    frame = pd.concat(
        pd.DataFrame({"unique_id": name, "ds": y.index, "y": y.to_numpy()}) for name, y in clubs.items()
    )
    cv = StatsForecast(models=[AutoETS(season_length=7)], freq="D").cross_validation(
        df=frame, h=horizon, n_windows=windows, step_size=horizon, level=[80, 95]
    )
    rows = []
    for (name, cutoff), window in cv.groupby(["unique_id", "cutoff"]):
        train = clubs[name].loc[:cutoff].to_numpy()
        scale = float(np.nanmean(np.abs(train[7:] - train[:-7])))
        actual = window["y"].to_numpy()
        pred = np.maximum(window["AutoETS"].to_numpy(), 0)
        mase, smape = _scores(actual, pred, scale)
        row = {"mase": mase, "smape": smape}
        for level in (80, 95):
            lo = window[f"AutoETS-lo-{level}"].to_numpy()
            hi = window[f"AutoETS-hi-{level}"].to_numpy()
            row[f"coverage_{level}"] = float(np.mean((actual >= lo) & (actual <= hi)))
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    series, synthetic_revenue = _load_generator()
    clubs = {f"club{seed}": synthetic_revenue(seed, start) for seed, start in series}
    table = []
    for horizon, windows in RUNS:
        ours = pd.DataFrame([backtest(y, horizon, windows).as_dict() for y in clubs.values()])
        ets = _auto_ets(clubs, horizon, windows)
        label = f"h={horizon} x{windows}"
        table.append([label, "forecast", ours["mase"].mean(), ours["smape"].mean(),
                      ours["coverage_80"].mean(), ours["coverage_95"].mean()])
        table.append([label, "seasonal-naive(7)", ours["baseline_mase"].mean(),
                      ours["baseline_smape"].mean(), np.nan, np.nan])
        table.append([label, "AutoETS(7)", ets["mase"].mean(), ets["smape"].mean(),
                      ets["coverage_80"].mean(), ets["coverage_95"].mean()])
    out = pd.DataFrame(table, columns=["run", "model", "MASE", "sMAPE %", "cover 80", "cover 95"])
    print(f"{len(clubs)} synthetic clubs x {len(next(iter(clubs.values())))} days; "
          "metrics averaged over clubs and held-out windows")
    print(out.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-"))

    y = next(iter(clubs.values()))
    forecast(y, 30)  # warm-up
    timings = []
    for name, call in [
        ("forecast(730 days, h=90)", lambda: forecast(y, 90)),
        ("backtest(730 days, h=30, 4 windows)", lambda: backtest(y, 30, 4)),
    ]:
        best = min(_timed(call) for _ in range(3))
        timings.append([name, best])
    print()
    print(pd.DataFrame(timings, columns=["call", "seconds (best of 3)"]).to_string(
        index=False, float_format=lambda v: f"{v:.3f}"))


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()

"""Child process of bench/monitor/run.js: Evidently computing the monitor's per-window drift in batch.

Reads the reference (the version's profile sample with the model's probability as the last column) and the logged
rows (20 features, then the logged probability) as raw little-endian float64 files, row-major, cuts the rows into
consecutive windows of --window-rows, and computes each window's drift against the reference with Evidently, in one of
two modes:

  stattests  Evidently's own statistical tests called directly on pandas Series, per column (the 20 features and
             the prediction): ks_stat_test, psi_stat_test, jensenshannon_stat_test and wasserstein_stat_test (the
             four statistics our monitor reports per column), and the dataset verdict from the share of drifted
             columns (KS, as Evidently's auto choice for a reference of at most 1000 rows). No report, no rendering.
  report     What an Evidently user writes: Report([DataDriftPreset()]).run(current, reference) per window, with a
             DataDefinition of 21 numerical columns (Evidently picks KS per column; it also renders its widgets).

Each window's DataFrame/Series are built inside the timing (part of using Evidently on a window). The first --warmup
windows are run and not timed. Prints one JSON object on stdout: windows, rows, wall and CPU seconds, rows per second
and per CPU second, the median ms per window, and the versions.

  .venv/bin/python bench/monitor/evidently_drift.py --reference R.f64 --reference-rows 800 --rows X.f64 \
      --row-count 20000 --cols 21 --window-rows 500 --mode stattests --warmup 2 --max-windows 40
"""

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently's usage telemetry stays off in a benchmark

import numpy as np
import pandas as pd


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--reference-rows", type=int, required=True)
    parser.add_argument("--rows", required=True)
    parser.add_argument("--row-count", type=int, required=True)
    parser.add_argument("--cols", type=int, required=True)
    parser.add_argument("--window-rows", type=int, required=True)
    parser.add_argument("--mode", choices=["stattests", "report"], required=True)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--max-windows", type=int, default=40)
    return parser.parse_args()


def column_names(cols):
    return [f"x{j}" for j in range(cols - 1)] + ["prediction"]


def stattests_mode(reference, names):
    from evidently.legacy.calculations.stattests import (
        jensenshannon_stat_test,
        ks_stat_test,
        psi_stat_test,
        wasserstein_stat_test,
    )
    from evidently.legacy.core import ColumnType

    numerical = ColumnType.Numerical
    reference_series = [pd.Series(reference[:, j], name=name) for j, name in enumerate(names)]
    tests = (ks_stat_test, psi_stat_test, jensenshannon_stat_test, wasserstein_stat_test)

    def one_window(window):
        drifted = 0
        for j, name in enumerate(names):
            current = pd.Series(window[:, j], name=name)
            ks, _psi, _js, _wasserstein = (t(reference_series[j], current, numerical, None) for t in tests)
            drifted += 1 if (ks.drifted and name != "prediction") else 0
        return {"drifted_features": drifted, "dataset_drift": drifted >= 0.5 * (len(names) - 1)}

    return one_window


def report_mode(reference, names):
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=names)
    reference_dataset = Dataset.from_pandas(pd.DataFrame(reference, columns=names), data_definition=definition)
    report = Report([DataDriftPreset()])

    def one_window(window):
        current = Dataset.from_pandas(pd.DataFrame(window, columns=names), data_definition=definition)
        snapshot = report.run(current, reference_dataset)
        share = snapshot.dict()["metrics"][0]["value"]
        return {"drifted_share": float(share["share"]) if isinstance(share, dict) else None}

    return one_window


def main():
    args = parse_args()
    reference = np.fromfile(args.reference, dtype="<f8").reshape(args.reference_rows, args.cols)
    rows = np.fromfile(args.rows, dtype="<f8").reshape(args.row_count, args.cols)
    names = column_names(args.cols)
    one_window = (stattests_mode if args.mode == "stattests" else report_mode)(reference, names)
    windows = [rows[i : i + args.window_rows] for i in range(0, args.row_count - args.window_rows + 1, args.window_rows)]
    for window in windows[: args.warmup]:
        one_window(window)
    timed = windows[args.warmup : args.warmup + args.max_windows] or windows[: args.max_windows]
    times = []
    last = None
    wall = time.perf_counter()
    cpu = time.process_time()
    for window in timed:
        start = time.perf_counter()
        last = one_window(window)
        times.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    counted = sum(len(w) for w in timed)
    from importlib.metadata import version

    print(
        json.dumps(
            {
                "mode": args.mode,
                "windows": len(timed),
                "rows": counted,
                "wallS": wall,
                "cpuS": cpu,
                "rowsPerS": counted / wall,
                "rowsPerCpuS": counted / cpu if cpu > 0 else None,
                "medianMsPerWindow": statistics.median(times) * 1000,
                "last": last,
                "versions": {
                    "python": sys.version.split()[0],
                    "evidently": version("evidently"),
                    "pandas": pd.__version__,
                    "numpy": np.__version__,
                    "scipy": version("scipy"),
                },
            }
        )
    )


if __name__ == "__main__":
    main()

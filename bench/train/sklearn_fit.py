"""Child process of bench/train/run.js: times scikit-learn's LogisticRegression.fit for ONE (data set, solver).

Loads the same raw little-endian float64 files that our side fits (numpy.fromfile, no copy beyond the read),
then: warm-up fits, `repeats` timed fits (time.perf_counter around `fit` only), n_iter_, this process's peak RSS
during the first fit (VmHWM, reset just before it), and the BLAS/OpenMP thread pools numpy/scipy/scikit-learn use (threadpoolctl).
Prints one JSON object on stdout.

  .venv/bin/python bench/train/sklearn_fit.py --x X.f64 --y y.f64 --rows N --cols D --solver lbfgs \
      --warmup 1 --repeats 3
"""

import argparse
import gc
import json
import os
import platform
import re
import resource
import statistics
import sys
import time
import warnings

import numpy as np
import scipy
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--x", required=True)
    parser.add_argument("--y", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--cols", type=int, required=True)
    parser.add_argument("--solver", required=True)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    return parser.parse_args()


def current_rss_bytes():
    """Resident set size now, from /proc (Linux)."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def reset_peak_rss():
    """Resets the kernel's RSS high-water mark (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def peak_rss_bytes():
    """Peak RSS since the last reset (VmHWM), else the lifetime ru_maxrss (KiB on Linux).

    Not ru_maxrss first: on Linux it survives fork+exec, so it can report the parent's RSS at spawn time.
    """
    try:
        with open("/proc/self/status") as status:
            match = re.search(r"^VmHWM:\s+(\d+) kB", status.read(), re.MULTILINE)
        if match:
            return int(match.group(1)) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed_fit(solver, X, y):
    model = LogisticRegression(solver=solver, C=1.0, random_state=42)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        elapsed_ms = (time.perf_counter() - start) * 1000.0
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return elapsed_ms, model, converged


def main():
    args = parse_args()
    X = np.fromfile(args.x, dtype="<f8").reshape(args.rows, args.cols)
    y = np.fromfile(args.y, dtype="<f8")
    assert y.shape == (args.rows,), f"{args.y}: expected {args.rows} values, got {y.shape}"

    gc.collect()
    peak_reset = reset_peak_rss()
    rss_before = current_rss_bytes()
    first_ms, model, converged = timed_fit(args.solver, X, y)
    peak_first = peak_rss_bytes()
    for _ in range(args.warmup - 1):
        timed_fit(args.solver, X, y)
    times_ms = []
    for _ in range(args.repeats):
        elapsed_ms, model, converged = timed_fit(args.solver, X, y)
        times_ms.append(elapsed_ms)

    json.dump(
        {
            "solver": args.solver,
            "medianMs": statistics.median(times_ms),
            "timesMs": times_ms,
            "firstFitMs": first_ms,
            "nIter": int(model.n_iter_[0]),
            "converged": converged,
            "rssBeforeBytes": rss_before,
            "peakRssBytes": peak_first,
            "peakRssGrowthBytes": peak_first - rss_before,
            "peakRssAllRunsBytes": peak_rss_bytes(),
            "peakSource": "VmHWM reset before the first fit" if peak_reset else "ru_maxrss (lifetime)",
            "versions": {
                "python": platform.python_version(),
                "sklearn": sklearn.__version__,
                "numpy": np.__version__,
                "scipy": scipy.__version__,
            },
            "threadpools": threadpool_info(),
            "openblasEnv": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

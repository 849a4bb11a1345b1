"""Child process of bench/drift/run.js: times the drift statistics of ONE window with numpy/scipy.

Reads the reference matrix and the window as raw little-endian float64 files (row-major), prepares what our
profile holds outside the timing (per feature: the quantile edges np.unique(np.quantile(col, linspace(0, 1, 11))),
the training counts per bin, the reference column as a contiguous array and its np.std), then times one window:
per feature the window's bin counts (searchsorted over the interior edges, bincount), PSI (numpy, Evidently's empty
bin filling), scipy.spatial.distance.jensenshannon on the bin counts, scipy.stats.wasserstein_distance / max(std,
0.001) and, when the reference has at most 1000 rows, scipy.stats.ks_2samp: the statistics our windowDrift computes.
Prints one JSON object on stdout: the median time and the last run's values (for the parity check).

  .venv/bin/python bench/drift/scipy_drift.py --reference R.f64 --reference-rows 800 --window W.f64 \
      --window-rows 500 --cols 20 --warmup 5 --repeats 50
"""

import argparse
import json
import statistics
import sys
import time

import numpy as np
import scipy
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp, wasserstein_distance

BINS = 10
KS_MAX_REFERENCE_ROWS = 1000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--reference-rows", type=int, required=True)
    parser.add_argument("--window", required=True)
    parser.add_argument("--window-rows", type=int, required=True)
    parser.add_argument("--cols", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=50)
    return parser.parse_args()


def prepare(reference):
    """What the profile holds, per feature: edges, training counts, the column, its std."""
    features = []
    for j in range(reference.shape[1]):
        column = np.ascontiguousarray(reference[:, j])
        edges = np.unique(np.quantile(column, np.linspace(0, 1, BINS + 1)))
        counts = np.histogram(column, edges)[0] if len(edges) > 1 else np.array([len(column)])
        features.append({"edges": edges, "counts": counts, "column": column, "std": np.std(column)})
    return features


def filled_fractions(counts, epsilon=0.0001):
    fractions = counts / counts.sum()
    smallest = fractions[fractions != 0].min()
    np.place(fractions, fractions == 0, smallest / 10**6 if smallest <= epsilon else epsilon)
    return fractions


def window_statistics(features, window, with_ks):
    out = []
    for j, feature in enumerate(features):
        values = window[:, j]
        edges = feature["edges"]
        counts = np.bincount(np.searchsorted(edges[1:-1], values, side="right"), minlength=max(len(edges) - 1, 1))
        ref, cur = filled_fractions(feature["counts"]), filled_fractions(counts)
        psi = float(np.sum((ref - cur) * np.log(ref / cur)))
        js = float(jensenshannon(feature["counts"], counts))
        normed = float(wasserstein_distance(feature["column"], values) / max(feature["std"], 0.001))
        ks = ks_2samp(feature["column"], values) if with_ks else None
        out.append({"psi": psi, "js_distance": js, "wasserstein_normed": normed,
                    "ks_p_value": None if ks is None else float(ks.pvalue)})
    return out


def main():
    args = parse_args()
    reference = np.fromfile(args.reference, dtype="<f8").reshape(args.reference_rows, args.cols)
    window = np.fromfile(args.window, dtype="<f8").reshape(args.window_rows, args.cols)
    features = prepare(reference)
    with_ks = args.reference_rows <= KS_MAX_REFERENCE_ROWS
    for _ in range(args.warmup):
        window_statistics(features, window, with_ks)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        values = window_statistics(features, window, with_ks)
        times.append((time.perf_counter() - start) * 1000)
    json.dump({
        "medianMs": statistics.median(times),
        "p95Ms": sorted(times)[int(0.95 * (len(times) - 1))],
        "values": values,
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__},
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""Child process of bench/train/run.js (`--cv`): times scikit-learn's side of the 5-fold 15-trial grid search.

GridSearchCV(LogisticRegression(random_state=42), {C: [0.01, 0.1, 1, 10, 100], solver: [liblinear, lbfgs, saga]},
cv=StratifiedKFold(5), scoring='accuracy', refit=True, n_jobs=None), then accuracy on the test split, on the same
raw little-endian float64 files our side reads. Times `fit` plus the test score (time.perf_counter), after warm-ups.
Prints one JSON object on stdout.

  .venv/bin/python bench/train/sklearn_cv.py --x-train Xtr.f64 --y-train ytr.f64 --x-test Xte.f64 --y-test yte.f64 \
      --train-rows 800 --test-rows 200 --cols 20 --folds 5 --warmup 3 --repeats 10
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import scipy
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from threadpoolctl import threadpool_info

PARAM_GRID = {"C": [0.01, 0.1, 1.0, 10.0, 100.0], "solver": ["liblinear", "lbfgs", "saga"]}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("--x-train", "--y-train", "--x-test", "--y-test"):
        parser.add_argument(name, required=True)
    for name in ("--train-rows", "--test-rows", "--cols"):
        parser.add_argument(name, type=int, required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=10)
    return parser.parse_args()


def search(args, X_train, y_train, X_test, y_test):
    grid = GridSearchCV(
        LogisticRegression(random_state=42),
        PARAM_GRID,
        cv=StratifiedKFold(n_splits=args.folds),
        scoring="accuracy",
        refit=True,
        n_jobs=None,
    )
    grid.fit(X_train, y_train)
    return grid, grid.score(X_test, y_test)


def main():
    args = parse_args()
    X_train = np.fromfile(args.x_train, dtype="<f8").reshape(args.train_rows, args.cols)
    y_train = np.fromfile(args.y_train, dtype="<f8")
    X_test = np.fromfile(args.x_test, dtype="<f8").reshape(args.test_rows, args.cols)
    y_test = np.fromfile(args.y_test, dtype="<f8")
    grid, test_accuracy = search(args, X_train, y_train, X_test, y_test)
    for _ in range(args.warmup - 1):
        search(args, X_train, y_train, X_test, y_test)
    times_ms = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        grid, test_accuracy = search(args, X_train, y_train, X_test, y_test)
        times_ms.append((time.perf_counter() - start) * 1000.0)
    best = grid.best_params_
    json.dump(
        {
            "medianMs": statistics.median(times_ms),
            "timesMs": times_ms,
            "cvMeans": [float(v) for v in grid.cv_results_["mean_test_score"]],
            "cvParams": [{"C": float(p["C"]), "solver": p["solver"]} for p in grid.cv_results_["params"]],
            "bestIndex": int(grid.best_index_),
            "bestParams": {"C": float(best["C"]), "solver": best["solver"]},
            "bestScore": float(grid.best_score_),
            "testAccuracy": float(test_accuracy),
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

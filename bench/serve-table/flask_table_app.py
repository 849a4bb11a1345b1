"""The gunicorn peer of bench/serve-table/run.js: Flask serving a scikit-learn Pipeline on raw customer records.

The pipeline is what a scikit-learn user writes for the customer table, fitted here on the same CSV, the same
labelled rows and the same split as our tuning (so it is the same model, within 1e-8):
ColumnTransformer([("num", SimpleImputer(mean) -> StandardScaler, numeric), ("cat", SimpleImputer(most_frequent) ->
OneHotEncoder(handle_unknown="ignore"), categorical)]) -> LogisticRegression(C, solver, random_state=42).
POST /predict takes our body, {"records": [{column: value or null, ...}, ...]}, and answers
{"predictions": [label, ...], "probabilities": [P(second class), ...]}.

  BENCH_CSV=customers.csv BENCH_SPEC='{"target": "churned", "numeric": [...], "categorical": [...], "C": 1,
  "solver": "lbfgs"}' .venv/bin/gunicorn -w 2 -b 127.0.0.1:8000 --chdir bench/serve-table flask_table_app:app
"""

import json
import os

import numpy as np
import pandas as pd
from flask import Flask, jsonify, request
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler


def fit_pipeline(path, spec):
    """The pipeline fitted on the labelled training rows of the CSV, and the label encoder of the target."""
    frame = pd.read_csv(path)
    frame = frame[frame[spec["target"]].notna()]
    labels = LabelEncoder()
    y = labels.fit_transform(frame[spec["target"]])
    X = frame[spec["numeric"] + spec["categorical"]]
    for name in spec["numeric"]:
        X = X.astype({name: "float64"})
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, random_state=42)
    columns = ColumnTransformer(
        [
            ("num", Pipeline([("impute", SimpleImputer(strategy="mean")), ("scale", StandardScaler())]), spec["numeric"]),
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore")),
                    ]
                ),
                spec["categorical"],
            ),
        ]
    )
    model = Pipeline(
        [("columns", columns), ("model", LogisticRegression(C=spec["C"], solver=spec["solver"], random_state=42))]
    )
    model.fit(X_train, y_train)
    return model, labels


SPEC = json.loads(os.environ["BENCH_SPEC"])
MODEL, LABELS = fit_pipeline(os.environ["BENCH_CSV"], SPEC)
COLUMNS = SPEC["numeric"] + SPEC["categorical"]
NUMERIC = {name: "float64" for name in SPEC["numeric"]}
# Integer-coded categories (support_calls) are read as numbers by pandas.read_csv: keep them numbers.
CATEGORICAL_NUMBERS = {name: "float64" for name in SPEC.get("categorical_numbers", [])}
TEXT = [name for name in SPEC["categorical"] if name not in CATEGORICAL_NUMBERS]
app = Flask(__name__)


@app.post("/predict")
def predict():
    """Scores raw records; 400 when the body is not a list of records with every column."""
    body = request.get_json(silent=True)
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list) or len(records) == 0:
        return jsonify(error="records must be a non-empty list"), 400
    try:
        frame = pd.DataFrame.from_records(records, columns=COLUMNS).astype({**NUMERIC, **CATEGORICAL_NUMBERS})
        # JSON null arrives as None; SimpleImputer looks for NaN (what pandas.read_csv gives for an empty cell).
        frame[TEXT] = frame[TEXT].where(frame[TEXT].notna(), np.nan)
    except (TypeError, ValueError) as error:
        return jsonify(error=str(error)), 400
    probabilities = MODEL.predict_proba(frame)[:, 1]
    predictions = LABELS.inverse_transform((probabilities > 0.5).astype(np.int64))
    return jsonify(predictions=predictions.tolist(), probabilities=probabilities.tolist())


@app.get("/health")
def health():
    """Liveness, for the harness to wait on."""
    return jsonify(status="alive")

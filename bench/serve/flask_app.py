"""The gunicorn peer of bench/serve/run.js: a plain Flask app scoring with scikit-learn's LogisticRegression.

The estimator is not fitted here: coef_, intercept_, classes_ and n_features_in_ are set from our weights.json
(format mlops.logistic-regression/v1), so it is the very model the predictor serves. Same request body as our
POST /predict: {"features": [[x0, ..., x19], ...]} (or one flat row); answers {"predictions", "probabilities"}.

  BENCH_WEIGHTS=weights.json .venv/bin/gunicorn -w 2 -b 127.0.0.1:8000 --chdir bench/serve flask_app:app
"""

import json
import os

import numpy as np
from flask import Flask, jsonify, request
from sklearn.linear_model import LogisticRegression


def load_model(path):
    """A LogisticRegression carrying the weights of our weights.json, ready for predict/predict_proba."""
    with open(path, encoding="utf-8") as handle:
        weights = json.load(handle)
    if weights.get("format") != "mlops.logistic-regression/v1":
        raise ValueError(f"{path}: not an mlops.logistic-regression/v1 weights file")
    model = LogisticRegression()
    model.coef_ = np.asarray([weights["coef"]], dtype=np.float64)
    model.intercept_ = np.asarray([weights["intercept"]], dtype=np.float64)
    model.classes_ = np.asarray(weights["classes"])
    model.n_features_in_ = model.coef_.shape[1]
    return model


MODEL = load_model(os.environ["BENCH_WEIGHTS"])
app = Flask(__name__)


@app.post("/predict")
def predict():
    """Scores the rows of the body; 400 when the body is not rows of n_features_in_ numbers."""
    body = request.get_json(silent=True)
    features = body.get("features") if isinstance(body, dict) else None
    try:
        X = np.asarray(features, dtype=np.float64)
    except (TypeError, ValueError):
        return jsonify(error="features must be rows of numbers"), 400
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] != MODEL.n_features_in_:
        return jsonify(error=f"features must be rows of {MODEL.n_features_in_} numbers"), 400
    probabilities = MODEL.predict_proba(X)[:, 1]
    predictions = MODEL.predict(X)
    return jsonify(predictions=predictions.tolist(), probabilities=probabilities.tolist())


@app.get("/health")
def health():
    """Liveness, for the harness to wait on."""
    return jsonify(status="alive")

#!/usr/bin/env bash
# Quick start, step one: installs what is missing (Node 24 when the machine's is older, nats-server, the MLflow venv,
# npm workspaces), then runs the whole local stack — nats-server, MLflow, trainer, tracker, predictor, monitor — on that
# Node, publishes the default tune request, prints the results, and keeps /predict and the MLflow UI serving until
# Ctrl-C. Data live under ./data.
# Extra arguments go to `mlops up` (e.g. --predictor-port 8081, --no-tune).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --no-browser
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh
exec node cli/bin/mlops.js up "$@"

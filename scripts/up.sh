#!/usr/bin/env bash
# Quick start, step one: installs what is missing and runs the main job.
# Today the main job is the seed experiment run offline by libs/ml (data set, 15-model grid, results table);
# the NATS + MLflow stack with /predict joins it in the pipeline issue.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "› installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
node cli/bin/mlops.js demo

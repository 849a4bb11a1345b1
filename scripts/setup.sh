#!/usr/bin/env bash
# Installs what is missing for running and testing the stack, idempotently:
#   nats-server (Debian package), the Python venv with MLflow (requirements.txt) and dev tools
#   (requirements-dev.txt), and the npm workspaces (npm ci, which also builds every package).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '› %s\n' "$*"; }

if ! command -v nats-server >/dev/null 2>&1; then
  say "installing nats-server (apt)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nats-server >/dev/null
fi
say "nats-server $(nats-server --version 2>&1 | head -1)"

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing Python requirements into .venv (MLflow, scikit-learn for fixtures and benchmarks)"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
say "$(.venv/bin/mlflow --version)"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm workspaces (npm ci)"
  npm ci --no-audit --no-fund
fi

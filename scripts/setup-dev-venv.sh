#!/usr/bin/env bash
# Create (if missing) the dev-only Python venv at <repo>/.venv and install requirements-dev.txt into it.
# Used for fixture generation (tools/fixtures/generate.py) and benchmarks against scikit-learn; `npm test` never
# needs it. Idempotent; works from any directory.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

python_bin="${PYTHON:-python3}"
if [[ -x .venv/bin/python ]]; then
  echo "setup-dev-venv: using existing $repo_root/.venv"
else
  echo "setup-dev-venv: creating $repo_root/.venv with $python_bin ($("$python_bin" --version 2>&1))"
  "$python_bin" -m venv .venv
fi

echo "setup-dev-venv: installing requirements-dev.txt"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

echo "setup-dev-venv: ready: $(.venv/bin/python -c 'import sklearn, numpy, scipy; print(f"scikit-learn {sklearn.__version__}, numpy {numpy.__version__}, scipy {scipy.__version__}")')"
echo "setup-dev-venv: regenerate fixtures with: .venv/bin/python tools/fixtures/generate.py"

#!/usr/bin/env bash
# Quick start, step one: installs what is missing (Node 24 when the machine's is older, nats-server, the MLflow venv,
# npm workspaces), then runs the whole local stack — nats-server, MLflow, trainer, tracker, predictor, monitor — on that
# Node, publishes the default tune request, prints the results, and keeps /predict and the MLflow UI serving until
# Ctrl-C. Data live under ./data of the repository, or where --data-dir says (a relative one from the directory this
# script is run in). Extra arguments go to `mlops up` (e.g. --predictor-port 8081, --no-tune); --help prints its usage.
set -euo pipefail
caller=$PWD

# --data-dir against the caller's directory: the script runs mlops up from the repository root.
absolute() {
  case $1 in
    /* | '') printf '%s' "$1" ;;
    *) printf '%s/%s' "$caller" "$1" ;;
  esac
}
args=()
help=false
while (($# > 0)); do
  case $1 in
    --data-dir)
      # A value, not the next flag (mlops up refuses `--data-dir --no-tune` itself, naming it).
      if (($# > 1)) && [[ $2 != -* ]]; then
        args+=("$1" "$(absolute "$2")")
        shift 2
        continue
      fi
      ;;
    --data-dir=*) args+=("--data-dir=$(absolute "${1#--data-dir=}")") && shift && continue ;;
    --help | -h) help=true ;;
  esac
  args+=("$1")
  shift
done

cd "$(dirname "$0")/.."

# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh
if $help; then
  echo 'usage: bash scripts/up.sh [mlops up options]: installs what is missing (scripts/setup.sh), then runs mlops up'
  # Already set up (the CLI built, a Node it runs on): the usage at once, without the setup.
  if [ -f cli/dist/index.js ] && node cli/bin/mlops.js up --help 2>/dev/null; then exit 0; fi
  echo '(the project is not set up yet: setting it up first, then the usage of mlops up)'
fi
bash scripts/setup.sh --no-browser
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh
exec node cli/bin/mlops.js up ${args[@]+"${args[@]}"}

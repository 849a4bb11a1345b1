#!/usr/bin/env bash
# Installs what is missing for running and testing the stack, idempotently:
#   Node (when the machine's is older than .node-version's major: the pinned Node and npm from the npm registry
#   into .tools/node), nats-server, chromium, wrk and the PostgreSQL server (Debian packages; `--no-browser` skips
#   chromium and wrk), the Python venv with MLflow and psycopg2 (requirements.txt) and dev tools (requirements-dev.txt), and
#   the npm workspaces (npm ci, which also builds every package).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '› %s\n' "$*"; }

# --- Node: the version in .node-version, or any newer-or-equal major the machine already has ---
node_version=$(tr -d '[:space:]' < .node-version)
node_major=${node_version%%.*}
npm_version=11.19.1 # the npm that goes with it in .tools/node (checksum in scripts/node-packages.sha512)
tools_node=.tools/node

machine_node_major() {
  command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

# Fetches node-linux-<arch>@<node_version> and npm@<npm_version> with `npm pack`, checks them against
# scripts/node-packages.sha512 and lays them out like an official Node tarball: bin/node, bin/npm, bin/npx and
# lib/node_modules/npm. Replaces .tools/node only once everything is in place.
install_tools_node() {
  local arch
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) arch=x64 ;;
    Linux-aarch64 | Linux-arm64) arch=arm64 ;;
    *)
      echo "setup: no Node $node_version package for $(uname -sm) here; install Node >= $node_major yourself" >&2
      exit 1
      ;;
  esac
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: needs some Node.js with npm to fetch Node $node_version from the npm registry" >&2
    exit 1
  fi
  local tmp sums="$PWD/scripts/node-packages.sha512" node_tgz="node-linux-$arch-$node_version.tgz" npm_tgz="npm-$npm_version.tgz"
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: $tmp is local
  trap "rm -rf '$tmp'" EXIT
  say "fetching Node $node_version ($arch) and npm $npm_version from the npm registry into $tools_node"
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$node_version" "npm@$npm_version" >/dev/null)
  for tgz in "$node_tgz" "$npm_tgz"; do
    if ! grep -q " $tgz\$" "$sums"; then
      echo "setup: no checksum for $tgz in scripts/node-packages.sha512" >&2
      exit 1
    fi
  done
  (cd "$tmp" && grep -E " ($node_tgz|$npm_tgz)\$" "$sums" | sha512sum --check --quiet)
  mkdir -p "$tmp/node/lib/node_modules/npm"
  tar -xzf "$tmp/$node_tgz" -C "$tmp/node" --strip-components=1
  tar -xzf "$tmp/$npm_tgz" -C "$tmp/node/lib/node_modules/npm" --strip-components=1
  for tool in npm npx; do
    printf '#!/bin/sh\n# %s %s on the Node next to it (written by scripts/setup.sh).\nbin=$(dirname "$0")\nexec "$bin/node" "$bin/../lib/node_modules/npm/bin/%s-cli.js" "$@"\n' \
      "$tool" "$npm_version" "$tool" > "$tmp/node/bin/$tool"
    chmod +x "$tmp/node/bin/$tool"
  done
  "$tmp/node/bin/node" --version >/dev/null
  rm -rf "$tools_node"
  mkdir -p "$(dirname "$tools_node")"
  mv "$tmp/node" "$tools_node"
  rm -rf "$tmp"
  trap - EXIT
}

tools_node_ok() {
  [ "$("$tools_node/bin/node" --version 2>/dev/null)" = "v$node_version" ] \
    && [ "$("$tools_node/bin/npm" --version 2>/dev/null)" = "$npm_version" ]
}

if [ -d "$tools_node" ] || [ "$(machine_node_major)" -lt "$node_major" ]; then
  tools_node_ok || install_tools_node
fi
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh
say "node $(node --version) ($(command -v node)), npm $(npm --version)"

if ! command -v nats-server >/dev/null 2>&1; then
  say "installing nats-server (apt)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nats-server >/dev/null
fi
say "nats-server $(nats-server --version 2>&1 | head -1)"

# Chromium (Debian package) for the tests that look at the MLflow UI and the predictor's /docs as a person would;
# `--no-browser` (the quick start's first command) skips it.
if [ "${1:-}" != "--no-browser" ] && ! command -v chromium >/dev/null 2>&1; then
  say "installing chromium (apt, for the browser checks)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# wrk (Debian package, C): bench/serve's load generator, a process of its own that leaves the cores to the servers
# (without it the benchmark falls back to autocannon in its own process). Skipped with `--no-browser`, as chromium.
if [ "${1:-}" != "--no-browser" ] && ! command -v wrk >/dev/null 2>&1; then
  say "installing wrk (apt, for bench/serve)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi

# PostgreSQL server (Debian's package; psql alone is not enough) for MLflow's backend store on PostgreSQL in
# test/fault/mlflow-postgres.test.ts, which initializes and starts its own throwaway cluster on a free port (as the
# package's `postgres` user when run as root). No system cluster is wanted, so none is created.
pg_initdb=$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -1 || true)
if [ -z "$pg_initdb" ] && ! command -v initdb >/dev/null 2>&1; then
  say "installing postgresql (apt, for MLflow on PostgreSQL in the tests)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' | $SUDO tee /etc/postgresql-common/createcluster.d/no-main-cluster.conf >/dev/null
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  pg_initdb=$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -1 || true)
fi
say "$("${pg_initdb:-initdb}" --version)"

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

# npm ci again when the lockfile changed or node_modules was installed by another Node.
installed_with=node_modules/.installed-with-node
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
  || [ "$(cat "$installed_with" 2>/dev/null)" != "$(node --version)" ]; then
  say "installing npm workspaces (npm ci)"
  npm ci --no-audit --no-fund
  node --version > "$installed_with"
fi
# npm scripts (npm test, ...) run on the Node above even from a shell whose `node` is older.
sh scripts/link-node.sh

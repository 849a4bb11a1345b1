#!/bin/sh
# Links node_modules/.bin/node to the project-local Node (.tools/node, see scripts/setup.sh) when there is one.
# npm runs every script with node_modules/.bin first on PATH, so `npm test`, `npm run test:unit`, `npx vitest` and
# every tool started with `#!/usr/bin/env node` run on that Node even from a shell whose `node` is older. Run by
# scripts/setup.sh and by the root `prepare` script (npm ci and npm install delete node_modules/.bin entries they do
# not know). Without .tools/node it removes a link it made earlier and leaves anything else alone.
set -eu
cd "$(dirname "$0")/.."

target=../../.tools/node/bin/node
link=node_modules/.bin/node
if [ -x .tools/node/bin/node ] && [ -d node_modules/.bin ]; then
  ln -sfn "$target" "$link"
elif [ -L "$link" ] && [ "$(readlink "$link")" = "$target" ]; then
  rm "$link"
fi

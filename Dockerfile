# One build for every service: TypeScript is compiled once (tsc -b), and each service is a small target on top of a
# shared runtime stage that holds only compiled code and production dependencies, run as the unprivileged `node`
# user. Targets: trainer, tracker, predictor, monitor (docker compose builds all four; `docker build --target predictor .`
# builds one). The test suite checks this file statically (test/static/dockerfile.test.ts).

# --- manifests: the workspace package.json files and the lockfile, so `npm ci` is cached until they change ---
FROM node:24.22.3-bookworm-slim AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/ml/package.json libs/ml/
COPY libs/contracts/package.json libs/contracts/
COPY libs/model-format/package.json libs/model-format/
COPY libs/figures/package.json libs/figures/
COPY libs/supervisor/package.json libs/supervisor/
COPY libs/local-stack/package.json libs/local-stack/
COPY libs/testkit/package.json libs/testkit/
COPY libs/service-kit/package.json libs/service-kit/
COPY libs/bus/package.json libs/bus/
COPY libs/mlflow/package.json libs/mlflow/
COPY services/trainer/package.json services/trainer/
COPY services/tracker/package.json services/tracker/
COPY services/predictor/package.json services/predictor/
COPY services/monitor/package.json services/monitor/
COPY cli/package.json cli/

# --- build: every dependency, then one `tsc -b` over the project references ---
FROM manifests AS build
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY libs libs
COPY services services
COPY cli cli
RUN npx tsc -b \
  && mkdir /out \
  && for dir in libs/* services/* cli; do mkdir -p "/out/$dir" && cp -R "$dir/package.json" "$dir/dist" "/out/$dir/"; done \
  && cp -R cli/bin /out/cli/ \
  && find /out -name '*.tsbuildinfo' -delete

# --- prod-deps: production dependencies only (no TypeScript, vitest, biome, ...) ---
FROM manifests AS prod-deps
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime: compiled code + production dependencies, owned by root and read-only for the `node` user ---
FROM node:24.22.3-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps /app/package.json ./
COPY --from=prod-deps /app/node_modules node_modules
COPY --from=build /out/ ./
# The trainer reads CSV data sets from here (a named volume in docker-compose.yml).
RUN mkdir -p /data/datasets && chown node:node /data/datasets
USER node

FROM runtime AS trainer
CMD ["node", "services/trainer/dist/main.js"]

FROM runtime AS tracker
CMD ["node", "services/tracker/dist/main.js"]

FROM runtime AS predictor
EXPOSE 8080
CMD ["node", "services/predictor/dist/main.js"]

FROM runtime AS monitor
EXPOSE 8090
CMD ["node", "services/monitor/dist/main.js"]

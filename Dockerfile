# syntax=docker/dockerfile:1
#
# Herald API and worker image. One image, two commands:
#   node --enable-source-maps dist/server/api.js      (default)
#   node --enable-source-maps dist/server/worker.js   (docker-compose.yml overrides the command)
# Both run JavaScript compiled at build time (scripts/build-server.mjs): no tsx, no
# TypeScript and no devDependencies in the final image. Checked without a Docker engine by
# test/container-build.test.ts; docs/operations.md, "Container image".

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- base: Node 20 plus the npm that package.json pins -----------------------
FROM ${NODE_IMAGE} AS base
# The image's bundled npm 10 does not know the root `allowScripts` field and would
# run every dependency install script, including the denied ones (esbuild,
# msgpackr-extract). npm 11 (packageManager: npm@11.19.1) enforces the policy.
RUN npm install --global npm@11.19.1 && npm cache clean --force
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app

# ---- prune: which workspaces the image needs, derived from the repository ------
# turbo prune follows the workspace dependency graph from the three apps and writes
# their manifests (json/) and a lockfile for them alone, so a new workspace one of
# them depends on is included without anyone listing it here.
FROM base AS prune
COPY . .
RUN npx --yes "turbo@$(node -p 'require("./package.json").devDependencies.turbo')" \
      prune @herald/api @herald/worker @herald/dashboard --docker --out-dir /prune

# ---- manifests: only what npm ci reads, so dependency layers stay cached -------
FROM base AS manifests
COPY --from=prune /prune/json/ ./
# The root postinstall (node scripts/patch-dependencies.mjs) runs during npm ci.
COPY scripts ./scripts

# ---- build: every workspace's dependencies, then the dashboard and the server bundles
FROM manifests AS build
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
RUN npm run build

# ---- runtime-deps: production dependencies of the API and worker workspaces ----
# The dashboard's React/MUI/Vite tree is only needed to build dist/, so it is left
# out; --include-workspace-root runs the root postinstall (the postgres.js and bullmq patches).
FROM manifests AS runtime-deps
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --include-workspace-root --workspace @herald/api --workspace @herald/worker

# ---- runtime -------------------------------------------------------------------
FROM base AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    HERALD_DATA_DIR=/var/lib/herald
# Only the all-in-one dist/server/start.js (embedded PostgreSQL) writes under
# HERALD_DATA_DIR; api.js and worker.js use DATABASE_URL. It exists and belongs to
# `node` so either works.
RUN mkdir -p /var/lib/herald && chown node:node /var/lib/herald
# Root-owned and read-only to the app, which writes only to HERALD_DATA_DIR.
COPY --from=runtime-deps /app ./
# The migrations each process applies before it listens, found beside dist/ (installRoot).
COPY drizzle ./drizzle
COPY --from=build /app/dist/server ./dist/server
COPY --from=build /app/apps/dashboard/dist ./apps/dashboard/dist
USER node
EXPOSE 8080
# node is PID 1's child under `init: true` (tini) and gets SIGTERM itself: no npm or
# shell in between to swallow or repeat it.
CMD ["node", "--enable-source-maps", "dist/server/api.js"]

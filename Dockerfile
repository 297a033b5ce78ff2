# syntax=docker/dockerfile:1
#
# Herald API and worker image. One image, two commands:
#   npm run start:api      (default)
#   npm run start:worker   (docker-compose.yml overrides the command)
# The API and worker run their TypeScript with tsx (no compile step), so tsx, a
# root devDependency, must be in the final image: there is no `--omit=dev` here.

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

# ---- manifests: only what npm ci reads, so dependency layers stay cached -------
# A new workspace must be listed here too, or npm ci will not link it into node_modules.
FROM base AS manifests
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/dashboard/package.json apps/dashboard/
COPY apps/worker/package.json apps/worker/
COPY packages/core/package.json packages/core/
COPY packages/db/package.json packages/db/
COPY packages/queue/package.json packages/queue/
COPY packages/runtime/package.json packages/runtime/

# ---- build: every workspace's dependencies, then the dashboard (Vite) ----------
FROM manifests AS build
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
RUN npm run build

# ---- runtime-deps: the API and worker workspaces plus the root's packages -----
# The dashboard's React/MUI/Vite tree is only needed to build dist/, so it is left
# out; --include-workspace-root keeps the root devDependencies (tsx among them).
FROM manifests AS runtime-deps
RUN --mount=type=cache,target=/root/.npm \
    npm ci --include-workspace-root --workspace @herald/api --workspace @herald/worker

# ---- runtime -------------------------------------------------------------------
FROM base AS runtime
# npm runs scripts with /bin/sh (dash), which does not exec the command: on
# `docker stop` npm forwards SIGTERM to dash, dash dies, tsx never sees it and npm
# exits at once, so the graceful shutdown is skipped. bash execs the command, so
# SIGTERM reaches the app and npm waits for it to finish shutting down.
ENV NPM_CONFIG_SCRIPT_SHELL=/bin/bash \
    NODE_ENV=production \
    HOST=0.0.0.0 \
    HERALD_DATA_DIR=/var/lib/herald
# Only `npm start` (embedded PostgreSQL) writes under HERALD_DATA_DIR; start:api and
# start:worker use DATABASE_URL. It exists and belongs to `node` so either works.
RUN mkdir -p /var/lib/herald && chown node:node /var/lib/herald
# Root-owned and read-only to the app: the process needs to write only to /tmp
# (tsx's cache), $HOME/.npm (npm's logs) and HERALD_DATA_DIR.
COPY --from=runtime-deps /app ./
COPY tsconfig.json tsconfig.base.json ./
COPY drizzle ./drizzle
COPY packages ./packages
COPY apps/api ./apps/api
COPY apps/worker ./apps/worker
COPY scripts ./scripts
COPY --from=build /app/apps/dashboard/dist ./apps/dashboard/dist
USER node
EXPOSE 8080
CMD ["npm", "run", "start:api"]

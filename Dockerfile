# The operator's image: the bundle of packages/app/src/main.ts (one ES module, no node_modules)
# on a distroless Node 24 base, as the non-root user 65532. Build from the repository root:
#   docker build -t litellm-operator:0.1.0 .
# The bundle is the same file `pnpm run build` writes to dist/operator.mjs.

# --- build: the pinned pnpm from the npm registry, the frozen lockfile, esbuild ---
FROM node:24-bookworm-slim AS build
WORKDIR /src
RUN npm install --global --no-audit --no-fund --loglevel=error pnpm@11.28.11
# Manifests first, so the dependency layer is cached until they change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/core/package.json packages/core/
COPY packages/litellm/package.json packages/litellm/
COPY packages/k8s/package.json packages/k8s/
COPY packages/app/package.json packages/app/
RUN pnpm install --frozen-lockfile --reporter=append-only
COPY tsconfig.json ./
COPY packages/ packages/
RUN pnpm run build && node dist/operator.mjs --version

# --- runtime: distroless Node 24 (no shell, no package manager), non-root ---
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
COPY --from=build /src/dist/operator.mjs /src/dist/operator.mjs.LEGAL.txt /app/
USER 65532:65532
# The heap settings the chart uses too (values.yaml operator.nodeOptions); the chart's value wins.
ENV NODE_OPTIONS="--max-semi-space-size=1 --max-old-space-size=192"
EXPOSE 8080
# The base image's entrypoint is node; flags and environment variables as in `operator.mjs --help`.
CMD ["/app/operator.mjs"]

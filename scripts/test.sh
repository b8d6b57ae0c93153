#!/usr/bin/env bash
# The test command: from a fresh clone, bootstrap the toolchain, install with
# the frozen lockfile, type-check, lint, build the operator bundle (what the image ships) and
# smoke-run it, and run every test; then the real-cluster tier: build the image and run the
# chart's suite on a one-node cluster (tools/node; needs root, installs Debian packages when
# missing; the first run builds kubelet & co. from Go modules, cached afterwards).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/bootstrap.sh
pnpm install --frozen-lockfile --reporter=append-only
pnpm run typecheck
pnpm run lint
pnpm run build
node dist/operator.mjs --version
# plan and export are subcommands of the same bundle.
node dist/operator.mjs plan --help >/dev/null
node dist/operator.mjs export --help >/dev/null
pnpm run test:unit
pnpm run test:node

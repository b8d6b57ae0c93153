#!/usr/bin/env bash
# The main job: from a fresh clone, bootstrap the toolchain, install with the frozen lockfile, then
# start a local control plane (kube-apiserver + etcd), the LiteLLM simulator (or use the LiteLLM
# given by LITELLM_URL and LITELLM_MASTER_KEY), install the CRDs, run the operator, apply examples/
# and print their Ready state and the LiteLLM objects they produced. Runs until Ctrl-C.
#   bash scripts/start.sh [--once] [--timeout 90s]
# With --cluster, the same examples as users run them instead: the image, Helm and the chart on a
# real one-node cluster (scripts/start-cluster.sh; needs root).
# Setup output goes to stderr; the report to stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for arg in "$@"; do
  if [ "$arg" = "--cluster" ]; then exec bash scripts/start-cluster.sh "$@"; fi
done
. scripts/bootstrap.sh
pnpm install --frozen-lockfile --reporter=append-only >&2
exec node packages/app/src/local/startLocal.ts "$@"

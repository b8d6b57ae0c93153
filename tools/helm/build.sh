#!/usr/bin/env bash
# Builds Helm from the Go module proxy once and caches it by version, so the
# chart tests can render the chart with the real Helm. Prints the binary path.
set -euo pipefail
version="v3.22.0"
cache="${LITELLM_OPERATOR_CACHE:-$HOME/.cache/litellm-operator}/helm/$version"
bin="$cache/helm"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  echo "helm: building helm $version from the Go module proxy (first run only)" >&2
  GOBIN="$cache" GOFLAGS=-trimpath go install -ldflags="-s -w" "helm.sh/helm/v3/cmd/helm@$version" >&2
fi
echo "$bin"

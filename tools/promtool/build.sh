#!/usr/bin/env bash
# Builds promtool from the Go module proxy once and caches it by version, so the
# chart's alert rules are checked by Prometheus's own parser. Prints the binary path.
set -euo pipefail
version="v0.316.0"
cache="${LITELLM_OPERATOR_CACHE:-$HOME/.cache/litellm-operator}/promtool/$version"
bin="$cache/promtool"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  echo "promtool: building promtool $version from the Go module proxy (first run only)" >&2
  GOBIN="$cache" GOFLAGS=-trimpath go install -ldflags="-s -w" "github.com/prometheus/prometheus/cmd/promtool@$version" >&2
fi
echo "$bin"

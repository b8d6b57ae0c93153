#!/usr/bin/env bash
# `bash scripts/start.sh --cluster`: the examples as users run them. Builds the operator's image
# (tools/image), starts the one-node cluster (tools/node; needs root), starts the LiteLLM simulator
# on 127.0.0.1 (or uses LITELLM_URL and LITELLM_MASTER_KEY), installs the chart with Helm, applies
# examples/ with kubectl, waits until every example is Ready and prints what it made. Runs until
# Ctrl-C (or stops at once with --once); stopping removes the cluster and everything it ran.
#   bash scripts/start.sh --cluster [--once] [--timeout 120s]
# Setup output goes to stderr; the report to stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/bootstrap.sh
pnpm install --frozen-lockfile --reporter=append-only >&2

once=0
timeout="120s"
while [ $# -gt 0 ]; do
  case "$1" in
    --cluster) ;;
    --once) once=1 ;;
    --timeout) timeout="$2"; shift ;;
    --timeout=*) timeout="${1#--timeout=}" ;;
    *) echo "start.sh --cluster: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

work="$(mktemp -d "${TMPDIR:-/tmp}/litellm-operator-start.XXXXXX")"
cluster_pid=""
sim_pid=""
stop() {
  trap - EXIT INT TERM
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; fi
  if [ -n "$cluster_pid" ]; then
    exec 4>&- # the cluster stops when its stdin closes
    wait "$cluster_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  echo "stopped: the one-node cluster (every pod, process and mount), the LiteLLM simulator." >&2
}
trap stop EXIT
trap 'exit 0' INT TERM

t0=$(date +%s)
image_line="$(tools/image/build.sh | tail -n 1)"
archive="$(printf '%s' "$image_line" | sed -n 's/.*"archive":"\([^"]*\)".*/\1/p')"
image="$(printf '%s' "$image_line" | sed -n 's/.*"image":"\([^"]*\)".*/\1/p')"
helm="$(tools/helm/build.sh | tail -n 1)"

mkfifo "$work/cluster-in"
tools/node/cluster.sh --exit-on-stdin-close --image "$archive" <"$work/cluster-in" >"$work/cluster.json" &
cluster_pid=$!
exec 4>"$work/cluster-in"
for _ in $(seq 1 1800); do
  [ -s "$work/cluster.json" ] && break
  kill -0 "$cluster_pid" 2>/dev/null || { echo "start.sh --cluster: the cluster did not start" >&2; exit 1; }
  sleep 0.1
done
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\)\"\{0,1\}[,}].*/\1/p" "$work/cluster.json"; }
kubeconfig="$(field kubeconfig)"
port="$(field apiServerPort)"
kubectl=("$(field kubectl)" --kubeconfig "$kubeconfig")

if [ -n "${LITELLM_URL:-}" ] && [ -n "${LITELLM_MASTER_KEY:-}" ]; then
  url="$LITELLM_URL"
  master_key="$LITELLM_MASTER_KEY"
  litellm_line="LiteLLM         $url (from LITELLM_URL)"
else
  master_key="sk-start-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  LITELLM_MASTER_KEY="$master_key" node packages/litellm/src/bin/simulator.ts >"$work/sim.json" 2>"$work/sim.err" &
  sim_pid=$!
  for _ in $(seq 1 300); do [ -s "$work/sim.json" ] && break; sleep 0.1; done
  url="$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$work/sim.json")"
  [ -n "$url" ] || { echo "start.sh --cluster: the simulator did not start" >&2; cat "$work/sim.err" >&2; exit 1; }
  litellm_line="LiteLLM         simulator at $url (on the host; pods use the node's network)"
fi

"$helm" --kubeconfig "$kubeconfig" upgrade --install litellm-operator deploy/chart \
  --namespace litellm-system --create-namespace \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" --set image.pullPolicy=Never \
  --set hostNetwork=true --set apiServer.host=127.0.0.1 --set apiServer.port="$port" >&2
"${kubectl[@]}" -n default create secret generic litellm-connection \
  --from-literal=url="$url" --from-literal=masterkey="$master_key" >&2
"${kubectl[@]}" apply -f examples/10-team.yaml -f examples/20-user.yaml -f examples/30-virtualkey.yaml \
  -f examples/40-teammemberassociation.yaml >&2
t_applied=$(date +%s)
kinds="teams,users,virtualkeys,teammemberassociations"
if ! "${kubectl[@]}" -n default wait --for=condition=Ready "$kinds" --all --timeout="$timeout" >&2; then
  echo "Not every example is Ready after $timeout:" >&2
  "${kubectl[@]}" -n default get "$kinds" -o wide >&2
  exit 1
fi
t_ready=$(date +%s)

litellm_count() {
  node -e '
    const [url, key, path, field] = process.argv.slice(1)
    fetch(url + path, { headers: { authorization: "Bearer " + key } })
      .then((r) => r.json())
      .then((body) => {
        const rows = Array.isArray(body) ? body : (body[field] ?? [])
        process.stdout.write(String(rows.length))
      })
      .catch(() => process.stdout.write("?"))
  ' "$url" "$master_key" "$1" "$2"
}

cat <<EOF
litellm-operator on a one-node cluster (kubelet, controller manager, scheduler, containerd)
  $litellm_line
  cluster         $(field server), kubeconfig $kubeconfig
  image           $image, imported from $archive
  chart           helm release litellm-operator in litellm-system (deploy/chart)
  examples        applied from examples/; every one Ready $((t_ready - t_applied)) s after it was applied ($((t_ready - t0)) s after start)

EOF
"${kubectl[@]}" -n litellm-system get pods -o wide
echo
"${kubectl[@]}" -n default get "$kinds"
echo
echo "Key Secrets (each holds its key; only sha256 tokens appear anywhere else):"
"${kubectl[@]}" -n default get secrets -l app.kubernetes.io/managed-by=litellm-operator
echo
echo "LiteLLM: $(litellm_count /team/list teams) teams, $(litellm_count /user/list users) users, $(litellm_count /key/list keys) keys"
echo
echo "Look around: ${kubectl[0]} --kubeconfig $kubeconfig get pods,$kinds -A"
if [ "$once" = 1 ]; then
  echo "--once: stopping."
  exit 0
fi
echo "Running. Press Ctrl-C to stop the cluster and the simulator."
while :; do
  sleep 1 &
  wait $! || true
  kill -0 "$cluster_pid" 2>/dev/null || { echo "the cluster stopped" >&2; exit 1; }
done

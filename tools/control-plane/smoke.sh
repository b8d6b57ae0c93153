#!/usr/bin/env bash
# Smoke test of the control-plane launcher (needs curl and base64; no kubectl):
#  1. start it, parse its JSON line, check /readyz, create + get a ConfigMap with the credentials
#     from the written kubeconfig, check RBAC denies anonymous and that server-side dry run works,
#     SIGTERM it: exit code 0, no process left, temp data dir removed;
#  2. start it with --exit-on-stdin-close, close its stdin: same checks.
# Usage: tools/control-plane/smoke.sh [LAUNCHER_BINARY]   (default: build/cached via build.sh)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$(bash "$here/build.sh" | tail -n 1)}"
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\)\"\{0,1\}[,}].*/\1/p" "$work/out"; }

# wait_ready: polls until the launcher printed its line (or died); sets kubeconfig/server/dir.
wait_ready() {
  local t0 i
  t0="$(now)"
  for i in $(seq 1 1200); do
    if [ -s "$work/out" ]; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [ ! -s "$work/out" ]; then
    bad "launcher did not become ready"
    cat "$work/err" >&2
    return 1
  fi
  [ "$(wc -l < "$work/out")" -eq 1 ] && ok "exactly one line on stdout" || bad "stdout has $(wc -l < "$work/out") lines"
  kubeconfig="$(field kubeconfig)"
  server="$(field server)"
  dir="$(field dataDir)"
  [ "$(field pid)" = "$pid" ] && ok "pid in JSON matches" || bad "pid in JSON $(field pid) != $pid"
  ok "ready in $(secs "$t0" "$(now)")s: $server, RSS $(ps -o rss= -p "$pid" | tr -d ' ') KiB"
}

# wait_gone PID: the process must exit within 40s with status 0, leaving the data dir removed.
wait_gone() {
  local t0 rc i
  t0="$(now)"
  for i in $(seq 1 400); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    bad "launcher $pid still running 40s after the stop request"
    return 1
  fi
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 0 ] && ok "exited 0 after $(secs "$t0" "$(now)")s" || bad "exit status $rc"
  if [ -e "$dir" ]; then bad "data dir $dir left behind"; else ok "temp data dir removed"; fi
  # The launcher never forks (etcd and kube-apiserver run in-process), so "nothing left" means:
  # no process of ours runs that binary.
  local left="" p
  for p in /proc/[0-9]*; do
    if [ "$(readlink "$p/exe" 2>/dev/null)" = "$bin" ] && [ "$(awk '{print $4}' "$p/stat" 2>/dev/null)" = "$$" ]; then
      left="$left ${p#/proc/}"
    fi
  done
  [ -z "$left" ] && ok "no launcher process left" || bad "launcher processes still running:$left"
  pid=""
}

# ---- 1: API checks + SIGTERM ----
echo "# launcher: $bin"
"$bin" > "$work/out" 2> "$work/err" &
pid=$!
wait_ready

# Credentials from the kubeconfig (as a client would use them).
for k in certificate-authority-data:ca.crt client-certificate-data:admin.crt client-key-data:admin.key; do
  sed -n "s/^ *${k%%:*}: //p" "$kubeconfig" | base64 -d > "$work/${k#*:}"
done
grep -q "server: $server\$" "$kubeconfig" && ok "kubeconfig server matches" || bad "kubeconfig server"
c=(curl -sS --max-time 10 --cacert "$work/ca.crt" --cert "$work/admin.crt" --key "$work/admin.key")

[ "$("${c[@]}" "$server/readyz")" = "ok" ] && ok "/readyz ok" || bad "/readyz"

cm='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"smoke"},"data":{"hello":"world"}}'
code="$("${c[@]}" -o "$work/post" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data "$cm" "$server/api/v1/namespaces/default/configmaps")"
[ "$code" = "201" ] && ok "ConfigMap created" || bad "create ConfigMap: $code $(cat "$work/post")"
"${c[@]}" "$server/api/v1/namespaces/default/configmaps/smoke" | grep -q '"hello": "world"' \
  && ok "ConfigMap read back" || bad "get ConfigMap"

code="$("${c[@]}" -o "$work/dry" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data "${cm/smoke/dry}" "$server/api/v1/namespaces/default/configmaps?dryRun=All")"
code2="$("${c[@]}" -o /dev/null -w '%{http_code}' "$server/api/v1/namespaces/default/configmaps/dry")"
[ "$code" = "201" ] && [ "$code2" = "404" ] && ok "server-side dry run" || bad "dry run: $code / $code2"

code="$(curl -sS --max-time 10 --cacert "$work/ca.crt" -o /dev/null -w '%{http_code}' "$server/api/v1/namespaces")"
[ "$code" = "403" ] && ok "RBAC denies anonymous list (403)" || bad "anonymous list: $code"

kill -TERM "$pid"
wait_gone

# ---- 2: --exit-on-stdin-close ----
mkfifo "$work/stdin"
: > "$work/out"
"$bin" --exit-on-stdin-close < "$work/stdin" > "$work/out" 2> "$work/err" &
pid=$!
exec 3> "$work/stdin" # the launcher's stdin stays open while fd 3 is
wait_ready
exec 3>&- # "parent died"
wait_gone

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]

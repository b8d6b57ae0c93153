#!/usr/bin/env bash
# A real one-node Kubernetes cluster on this machine, loopback only: the control-plane launcher's
# kube-apiserver + etcd, plus kube-controller-manager, kube-scheduler, a kubelet and containerd
# (Debian's containerd 1.6 and runc; a loopback-only CNI, so pods use hostNetwork). Recipe and
# reasons: shared/real-node.md; README, "real-cluster tier".
#
#   tools/node/cluster.sh [--image ARCHIVE]... [--exit-on-stdin-close] [--wait-lock SECONDS]
#                                        start; runs until stopped
#   tools/node/cluster.sh clean          remove what a killed run left
#
# Start prints one JSON line on stdout when the node is Ready:
#   {"kubeconfig":"…","server":"https://127.0.0.1:<port>","stateDir":"…","containerd":"unix://…",
#    "ctr":"/usr/bin/ctr","kubectl":"…","apiServerHost":"127.0.0.1","apiServerPort":<port>}
# then waits; SIGTERM/SIGINT (or stdin EOF with --exit-on-stdin-close) stops every container and
# process, unmounts everything under the state dir and removes it. Each --image archive (OCI or
# docker archive) is imported into containerd's k8s.io namespace before the JSON line.
#
# One such cluster per machine (the kubelet's ports and /var/lib/kubelet/device-plugins are fixed):
# a lock file (/run/lock/litellm-operator-node.lock) makes a second start fail at once, or wait
# up to --wait-lock SECONDS for the first to stop. LITELLM_OPERATOR_NODE_AUDIT_LOG=<file> makes the
# API server write an audit log of every request by a ServiceAccount there (JSON lines; what
# tools/node/rbac-usage.mjs summarises for the chart's RBAC audit). The state
# dir is fixed too (LITELLM_OPERATOR_NODE_DIR, default /var/tmp/litellm-operator-node), so a start
# after a killed run first removes what that run left. Needs root; installs containerd, runc,
# containernetworking-plugins and openssl from Debian's apt when missing.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
state="${LITELLM_OPERATOR_NODE_DIR:-/var/tmp/litellm-operator-node}"
lock="${LITELLM_OPERATOR_NODE_LOCK:-/run/lock/litellm-operator-node.lock}"
node_name="127.0.0.1"

log() { echo "node: $*" >&2; }
now_ms() { date +%s%3N; }

# --- cleanup -------------------------------------------------------------------------------------

# Kills a recorded process if it is still the one we started (its command line names the state
# dir), first with SIGTERM, then SIGKILL after $2 tenths of a second.
stop_pid() {
  local name="$1" tenths="${2:-50}" pidfile="$state/pids/$1" pid i
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$state"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 "$tenths"); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop on SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# Every process whose command line names the state dir (containerd shims, stray children).
stray_pids() {
  local p
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    [ "$p" = "$$" ] && continue
    if tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$state/"; then echo "$p"; fi
  done
}

teardown() {
  [ -d "$state" ] || return 0
  local ctr_cmd=(ctr --address "$state/containerd.sock" --namespace k8s.io) ids id pids i
  # The kubelet first, so that it restarts nothing; then the containers, while containerd runs.
  stop_pid kubelet 100
  stop_pid kube-scheduler 30
  stop_pid kube-controller-manager 30
  if [ -S "$state/containerd.sock" ] && [ -f "$state/pids/containerd" ]; then
    ids="$("${ctr_cmd[@]}" tasks list --quiet 2>/dev/null || true)"
    for id in $ids; do "${ctr_cmd[@]}" tasks kill --signal SIGKILL "$id" >/dev/null 2>&1 || true; done
    for id in $ids; do
      for i in $(seq 1 50); do
        "${ctr_cmd[@]}" tasks delete "$id" >/dev/null 2>&1 && break
        sleep 0.1
      done
    done
    for id in $("${ctr_cmd[@]}" containers list --quiet 2>/dev/null || true); do
      "${ctr_cmd[@]}" containers delete "$id" >/dev/null 2>&1 || true
    done
  fi
  stop_pid containerd 50
  stop_pid launcher 100
  # Shims and anything else still naming the state dir.
  pids="$(stray_pids)"
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.2
  fi
  # Unmount everything under the state dir, deepest first (the kubelet bind-mounts its root and
  # mounts a tmpfs per projected volume; containerd mounts overlays and the sandbox's /dev/shm).
  local mounts m
  for i in 1 2 3; do
    mounts="$(awk -v s="$state" '$5 == s || index($5, s "/") == 1 {print $5}' /proc/self/mountinfo | sort -r)"
    [ -z "$mounts" ] && break
    for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  done
  # Pod cgroups the kubelet made (cgroupfs driver): empty now, removed deepest first.
  for m in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods /sys/fs/cgroup/unified/kubepods; do
    [ -d "$m" ] && find "$m" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  rm -rf "$state"
  # containerd 1.6 keeps runc state and shim sockets under /run/containerd whatever its config
  # says; empty once every task is deleted.
  rmdir /run/containerd/runc/k8s.io /run/containerd/runc /run/containerd/s /run/containerd 2>/dev/null || true
}

# --- main ------------------------------------------------------------------------------------------

mode="start"
images=()
exit_on_stdin_close=0
wait_lock=0
while [ $# -gt 0 ]; do
  case "$1" in
    clean) mode="clean" ;;
    start) mode="start" ;;
    --image) images+=("$2"); shift ;;
    --image=*) images+=("${1#--image=}") ;;
    --exit-on-stdin-close) exit_on_stdin_close=1 ;;
    --wait-lock) wait_lock="$2"; shift ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "cluster.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$(id -u)" != 0 ]; then
  echo "cluster.sh: needs root (containerd, kubelet)" >&2
  exit 1
fi
mkdir -p "$(dirname "$lock")"
exec 9>"$lock"
if ! flock --wait "$wait_lock" 9; then
  echo "cluster.sh: another one-node cluster runs on this machine (lock $lock held); stop it first" >&2
  exit 1
fi

if [ "$mode" = clean ]; then
  teardown
  exit 0
fi

t0="$(now_ms)"
"$here/packages.sh" containerd runc containernetworking-plugins openssl
launcher="$(bash "$root/tools/control-plane/build.sh" | tail -n 1)"
bin="$(bash "$here/build.sh" | tail -n 1)"
t_built="$(now_ms)"

teardown # what a killed run left
mkdir -p "$state/pids" "$state/pki" "$state/cni" "$state/logs"
stopping=0
on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  stopping=1
  local t
  t="$(now_ms)"
  teardown
  log "stopped in $(( $(now_ms) - t )) ms"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 0' INT TERM

# spawn NAME CMD...: runs a daemon in its own session, stdin from /dev/null, output to its log,
# without the lock's file descriptor (the lock is this script's alone).
spawn() {
  local name="$1"
  shift
  setsid "$@" </dev/null >"$state/logs/$name.log" 2>&1 9>&- &
  echo $! >"$state/pids/$name"
}
alive() { kill -0 "$(cat "$state/pids/$1")" 2>/dev/null; }
# wait_for WHAT TENTHS PROCESS CMD...: polls CMD until it succeeds; fails early if PROCESS died.
wait_for() {
  local what="$1" tenths="$2" proc="$3" i
  shift 3
  for i in $(seq 1 "$tenths"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [ -n "$proc" ] && ! alive "$proc"; then
      log "$proc exited while waiting for $what; last lines of its log:"
      tail -n 20 "$state/logs/$proc.log" >&2
      return 1
    fi
    sleep 0.1
  done
  log "timed out waiting for $what; last lines of ${proc:-its} log:"
  [ -n "$proc" ] && tail -n 20 "$state/logs/$proc.log" >&2
  return 1
}

# --- the pause image: the static pause program FROM scratch, cached beside the binaries ---
pause_archive="$bin/pause.tar"
pause_image="localhost/litellm-operator-pause:$(sha256sum "$bin/pause" | cut -c1-12)"
if [ ! -f "$pause_archive" ]; then
  "$here/packages.sh" buildah
  work="$(mktemp -d "${TMPDIR:-/tmp}/pause-image.XXXXXX")"
  B=(buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs)
  ctr_id="$("${B[@]}" from scratch)"
  "${B[@]}" copy "$ctr_id" "$bin/pause" /pause >/dev/null
  "${B[@]}" config --entrypoint '["/pause"]' --user 65535:65535 "$ctr_id" >/dev/null
  "${B[@]}" commit --quiet --format oci "$ctr_id" "oci-archive:$pause_archive.tmp:$pause_image" >/dev/null
  "${B[@]}" rm "$ctr_id" >/dev/null
  rm -rf "$work"
  mv -f "$pause_archive.tmp" "$pause_archive"
fi

# --- containerd ---
cat >"$state/cni/10-loopback.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "loopback-only", "plugins": [{"type": "loopback"}]}
EOF
cat >"$state/containerd.toml" <<EOF
version = 2
root = "$state/containerd/root"
state = "$state/containerd/state"
[grpc]
  address = "$state/containerd.sock"
[ttrpc]
  address = "$state/containerd-ttrpc.sock"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  # This VM lacks CAP_SYS_RESOURCE: runc could not give sandboxes an oom_score_adj below ours.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni"
EOF
spawn containerd containerd --config "$state/containerd.toml"
ctr_cmd=(ctr --address "$state/containerd.sock" --namespace k8s.io)
wait_for "containerd" 300 containerd "${ctr_cmd[@]}" version
"${ctr_cmd[@]}" images import "$pause_archive" >/dev/null
for image in ${images[@]+"${images[@]}"}; do
  "${ctr_cmd[@]}" images import "$image" >&2
done
t_containerd="$(now_ms)"

# --- kube-apiserver + etcd (the launcher), with what a node needs: ServiceAccount admission (token
# volumes), the Node authorizer and NodeRestriction, and a client cert to reach the kubelet; and
# OwnerReferencesPermissionEnforcement (as OpenShift has it), so that the chart's RBAC is checked
# for the owner references the operator writes ---
cp_dir="$state/control-plane"
audit_args=()
if [ -n "${LITELLM_OPERATOR_NODE_AUDIT_LOG:-}" ]; then
  cat >"$state/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    userGroups: ["system:serviceaccounts"]
  - level: None
EOF
  audit_args=(--apiserver-arg=--audit-policy-file="$state/audit-policy.yaml"
    --apiserver-arg=--audit-log-path="$LITELLM_OPERATOR_NODE_AUDIT_LOG" --apiserver-arg=--audit-log-format=json)
fi
spawn launcher "$launcher" --data-dir "$cp_dir" --exit-with-parent \
  --apiserver-arg=--disable-admission-plugins=StorageObjectInUseProtection \
  --apiserver-arg=--enable-admission-plugins=NodeRestriction,OwnerReferencesPermissionEnforcement \
  --apiserver-arg=--authorization-mode=Node,RBAC \
  --apiserver-arg=--kubelet-client-certificate="$cp_dir/pki/admin.crt" \
  --apiserver-arg=--kubelet-client-key="$cp_dir/pki/admin.key" ${audit_args[@]+"${audit_args[@]}"}
# The launcher's JSON line goes to its log (stdout and stderr are one file here).
ready_line() { grep -m1 '^{"kubeconfig"' "$state/logs/launcher.log"; }
wait_for "kube-apiserver" 1200 launcher ready_line
line="$(ready_line)"
server="$(printf '%s' "$line" | sed -n 's/.*"server":"\([^"]*\)".*/\1/p')"
port="${server##*:}"
admin_kubeconfig="$cp_dir/kubeconfig"
t_apiserver="$(now_ms)"

# --- client certificates for the kubelet, kube-controller-manager and kube-scheduler ---
pki="$cp_dir/pki"
client_cert() { # NAME SUBJECT
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" \
    -keyout "$state/pki/$1.key" -out "$state/pki/$1.csr" 2>/dev/null
  openssl x509 -req -in "$state/pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 7 -out "$state/pki/$1.crt" 2>/dev/null
  cat >"$state/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "$server", certificate-authority: "$pki/ca.crt"}
users:
- name: $1
  user: {client-certificate: "$state/pki/$1.crt", client-key: "$state/pki/$1.key"}
contexts:
- name: local
  context: {cluster: local, user: $1}
current-context: local
EOF
}
client_cert kubelet "/O=system:nodes/CN=system:node:$node_name"
client_cert kube-controller-manager "/CN=system:kube-controller-manager"
client_cert kube-scheduler "/CN=system:kube-scheduler"

# --- kube-controller-manager and kube-scheduler (no serving port: nothing scrapes them) ---
spawn kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig="$state/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig="$state/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig="$state/kube-controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false \
  --root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/sa.key" \
  --use-service-account-credentials=true --cluster-name=litellm-operator-node \
  --concurrent-gc-syncs=5 --v=1
spawn kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig="$state/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig="$state/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig="$state/kube-scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false --v=1

# --- kubelet ---
kubelet_dir="$state/kubelet"
mkdir -p "$kubelet_dir/pki" "$state/volume-plugins"
cat >"$state/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$state/containerd.sock
volumePluginDir: $state/volume-plugins
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization: {mode: Webhook}
# A small, shared disk: evict only when nearly full; never collect the images we imported.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
syncFrequency: 10s
fileCheckFrequency: 10s
nodeStatusUpdateFrequency: 5s
EOF
spawn kubelet "$bin/kubelet" --config="$state/kubelet.yaml" --kubeconfig="$state/kubelet.kubeconfig" \
  --hostname-override="$node_name" --root-dir="$kubelet_dir" --cert-dir="$kubelet_dir/pki" --v=1

kubectl=("$bin/kubectl" --kubeconfig "$admin_kubeconfig")
node_ready() {
  [ "$("${kubectl[@]}" get node "$node_name" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] &&
    [ -z "$("${kubectl[@]}" get node "$node_name" -o 'jsonpath={.spec.taints}' 2>/dev/null)" ]
}
wait_for "the node to be Ready" 1200 kubelet node_ready
# The namespace controller and the ServiceAccount controller run: the default ServiceAccount exists.
wait_for "the default ServiceAccount" 600 kube-controller-manager "${kubectl[@]}" get serviceaccount default -n default
t_ready="$(now_ms)"
log "ready: binaries $((t_built - t0)) ms, containerd + images $((t_containerd - t_built)) ms, kube-apiserver $((t_apiserver - t_containerd)) ms, node Ready $((t_ready - t_apiserver)) ms; total $((t_ready - t0)) ms"

printf '{"kubeconfig":"%s","server":"%s","stateDir":"%s","containerd":"unix://%s","ctr":"%s","kubectl":"%s","apiServerHost":"127.0.0.1","apiServerPort":%s,"startMs":%s}\n' \
  "$admin_kubeconfig" "$server" "$state" "$state/containerd.sock" "$(command -v ctr)" "$bin/kubectl" "$port" "$((t_ready - t0))"

# Run until stopped; any of the daemons dying is an error worth stopping for.
if [ "$exit_on_stdin_close" = 1 ]; then
  # Without job control bash gives a background job /dev/null as its stdin: hand it ours as fd 3.
  exec 3<&0
  (exec 9>&-; cat <&3 >/dev/null; kill -TERM $$ 2>/dev/null) &
  exec 3<&-
fi
while :; do
  for p in containerd launcher kube-controller-manager kube-scheduler kubelet; do
    if ! alive "$p"; then
      log "$p exited; last lines of its log:"
      tail -n 20 "$state/logs/$p.log" >&2
      exit 1
    fi
  done
  sleep 1 &
  wait $! || true
done

#!/usr/bin/env bash
# Builds the one-node cluster's Kubernetes binaries once and caches them: kubelet,
# kube-controller-manager, kube-scheduler, kubectl (k8s.io/kubernetes, the same version and
# replaces as tools/control-plane) and the static pause program for the sandbox image. Prints the
# directory holding them as the last line on stdout; progress goes to stderr.
#
# Cache: ${LITELLM_OPERATOR_CACHE:-$HOME/.cache/litellm-operator}/node/<key>/{kubelet,...},
# <key> = sha256 of go.mod, go.sum, pause/*.go, `go version`, GOOS/GOARCH.
# Builds are niced and run with -p ${NODE_BUILD_P:-2} (2-core shared machines): about 16 minutes
# with a cold Go cache, 4-6 minutes with the control plane's Go cache warm.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

if ! command -v go >/dev/null 2>&1; then
  echo "node/build.sh: go not found (Go >= 1.26 is needed)" >&2
  exit 1
fi
gover="$(go env GOVERSION)"

# Build from a snapshot of the sources, so an edit during the build cannot end up cached under
# the old key.
src="$(mktemp -d "${TMPDIR:-/tmp}/node-src.XXXXXX")"
tmpdir=""
trap 'rm -rf "$src"; if [ -n "$tmpdir" ]; then rm -rf "$tmpdir"; fi' EXIT
files="go.mod go.sum $(ls pause/*.go | LC_ALL=C sort | tr '\n' ' ')"
mkdir -p "$src/pause"
for f in $files; do cp "$f" "$src/$f"; done
cd "$src"

hash_cmd() { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi; }
key="$(
  {
    for f in $files; do
      printf '== %s\n' "$f"
      cat "$f"
    done
    printf '== env\n%s %s %s\n' "$gover" "$(go env GOOS)" "$(go env GOARCH)"
  } | hash_cmd | cut -c1-16
)"

cache_root="${LITELLM_OPERATOR_CACHE:-$HOME/.cache/litellm-operator}"
out_dir="$cache_root/node/$key"
names="kubelet kube-controller-manager kube-scheduler kubectl pause"

complete=1
for n in $names; do [ -x "$out_dir/$n" ] || complete=0; done
if [ "$complete" = 1 ]; then
  echo "node/build.sh: cached $out_dir" >&2
  echo "$out_dir"
  exit 0
fi

# go.mod names it either inside a require block or on a one-line `require` (tidy's choice).
k8s_version="$(grep -o 'k8s\.io/kubernetes v1\.[0-9.]*' go.mod | head -n 1 | cut -d' ' -f2)"
if [ -z "$k8s_version" ]; then
  echo "node/build.sh: no k8s.io/kubernetes v1.x in go.mod" >&2
  exit 1
fi
k8s_minor="$(printf '%s' "$k8s_version" | cut -d. -f2)"
ldflags="-s -w"
ldflags="$ldflags -X k8s.io/component-base/version.gitVersion=$k8s_version"
ldflags="$ldflags -X k8s.io/component-base/version.gitMajor=1"
ldflags="$ldflags -X k8s.io/component-base/version.gitMinor=$k8s_minor"
ldflags="$ldflags -X k8s.io/component-base/version.gitTreeState=clean"

mkdir -p "$cache_root/node"
tmpdir="$(mktemp -d "$cache_root/node/$key.tmp.XXXXXX")"
echo "node/build.sh: building kubelet, kube-controller-manager, kube-scheduler, kubectl $k8s_version and pause ($gover) -> $out_dir" >&2
echo "node/build.sh: ~16 min with a cold Go cache, ~5 min warm" >&2
start=$(date +%s)
# -mod=readonly: go.sum must already be complete; never rewrite go.mod here.
CGO_ENABLED=0 nice -n 10 go build -p "${NODE_BUILD_P:-2}" -mod=readonly -trimpath -ldflags="$ldflags" \
  -o "$tmpdir/" \
  k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl ./pause
for n in $names; do chmod 0755 "$tmpdir/$n"; done
# Rename the whole directory into place: a concurrent build of the same key is harmless.
if ! mv -T "$tmpdir" "$out_dir" 2>/dev/null; then
  rm -rf "$tmpdir"
fi
tmpdir=""
echo "node/build.sh: built in $(( $(date +%s) - start ))s" >&2
echo "$out_dir"

#!/usr/bin/env bash
# Builds the control-plane launcher once and caches it; prints the binary's path as the last
# line on stdout. Build progress goes to stderr.
#
# Cache: ${LITELLM_OPERATOR_CACHE:-$HOME/.cache/litellm-operator}/control-plane/<key>/launcher,
# <key> = sha256 of go.mod, go.sum, every *.go file here, `go version` and GOOS/GOARCH.
# Needs Go >= 1.26 and the Go module proxy (or a warm GOMODCACHE). GOMODCACHE/GOCACHE are Go's
# usual ones unless set by the caller.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: go not found (Go >= 1.26 is needed to build the control-plane launcher)" >&2
  exit 1
fi
gover="$(go env GOVERSION)"                     # e.g. go1.26.8
minor="$(printf '%s' "$gover" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
if [ -z "$minor" ] || [ "$minor" -lt 26 ]; then
  echo "build.sh: $gover is too old; k8s.io/kubernetes v1.36 needs Go >= 1.26" >&2
  exit 1
fi

# Build from a snapshot of the sources, so that an edit during a (long) build cannot end up in a
# binary cached under the old key.
src="$(mktemp -d "${TMPDIR:-/tmp}/control-plane-src.XXXXXX")"
tmp=""
trap 'rm -rf "$src"; if [ -n "$tmp" ]; then rm -f "$tmp"; fi' EXIT
files="go.mod go.sum $(ls ./*.go | LC_ALL=C sort | sed 's|^\./||' | tr '\n' ' ')"
# shellcheck disable=SC2086 # word splitting intended; file names have no spaces
cp $files "$src/"
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
out_dir="$cache_root/control-plane/$key"
bin="$out_dir/launcher"

if [ -x "$bin" ]; then
  echo "build.sh: cached $bin" >&2
  echo "$bin"
  exit 0
fi

k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ {print $2; exit}' go.mod)"
k8s_minor="$(printf '%s' "$k8s_version" | cut -d. -f2)"
ldflags="-s -w"
ldflags="$ldflags -X k8s.io/component-base/version.gitVersion=$k8s_version"
ldflags="$ldflags -X k8s.io/component-base/version.gitMajor=1"
ldflags="$ldflags -X k8s.io/component-base/version.gitMinor=$k8s_minor"
ldflags="$ldflags -X k8s.io/component-base/version.gitTreeState=clean"

mkdir -p "$out_dir"
tmp="$(mktemp "$out_dir/launcher.tmp.XXXXXX")"
echo "build.sh: building the control-plane launcher (kube-apiserver $k8s_version, $gover) -> $bin" >&2
echo "build.sh: a cold build takes several minutes (downloads modules, compiles kube-apiserver)" >&2
start=$(date +%s)
# -mod=readonly: go.sum must already be complete (reproducible); never rewrite go.mod here.
CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags="$ldflags" -o "$tmp" .
chmod 0755 "$tmp"
mv -f "$tmp" "$bin" # atomic: concurrent builds of the same key are harmless
tmp=""
echo "build.sh: built in $(( $(date +%s) - start ))s ($(du -h "$bin" | cut -f1))" >&2
echo "$bin"

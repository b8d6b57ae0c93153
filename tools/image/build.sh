#!/usr/bin/env bash
# Builds the operator's image from the repository's Dockerfile with buildah, on the base that
# base.sh makes locally (no registry), and writes an OCI archive that `ctr images import` (or
# `podman load`, `skopeo copy`) takes. Builds the bundle (dist/operator.mjs) first unless
# IMAGE_SKIP_BUNDLE=1 says it is fresh. Prints one JSON line as the last line on stdout:
#   {"archive":"<path>","image":"localhost/litellm-operator:<tag>","bytes":<archive size>}
#
# Cache: ${LITELLM_OPERATOR_CACHE:-$HOME/.cache/litellm-operator}/image/<key>/image.tar,
# <key> = sha256 of the bundle, its licence file, the Dockerfile, .dockerignore and the base's key;
# the image's tag is that key. Needs root and buildah (tools/node/packages.sh installs it).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

if [ "${IMAGE_SKIP_BUNDLE:-0}" != 1 ]; then
  . scripts/bootstrap.sh
  node packages/app/bin/bundle.ts >&2
fi
for f in dist/operator.mjs dist/operator.mjs.LEGAL.txt; do
  [ -f "$f" ] || { echo "image/build.sh: $f missing (pnpm run build)" >&2; exit 1; }
done

base="$("$here/base.sh" | tail -n 1)"
base_key="$(basename "$(dirname "$base")")"

hash_cmd() { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi; }
key="$(
  {
    for f in dist/operator.mjs dist/operator.mjs.LEGAL.txt Dockerfile .dockerignore; do
      printf '== %s\n' "$f"
      cat "$f"
    done
    printf '== base %s\n' "$base_key"
  } | hash_cmd | cut -c1-16
)"
image="localhost/litellm-operator:$key"
cache_root="${LITELLM_OPERATOR_CACHE:-$HOME/.cache/litellm-operator}"
out_dir="$cache_root/image/$key"
out="$out_dir/image.tar"

report() { printf '{"archive":"%s","image":"%s","bytes":%s}\n' "$out" "$image" "$(stat -c %s "$out")"; }
if [ -f "$out" ]; then
  echo "image/build.sh: cached $out" >&2
  report
  exit 0
fi

"$root/tools/node/packages.sh" buildah
start=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/image-build.XXXXXX")"
B=(buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs)
trap 'rm -rf "$work"' EXIT
# A build context of the bundle alone (what .dockerignore lets through), so nothing else of the
# working tree can reach the image.
mkdir -p "$work/context/dist"
cp Dockerfile .dockerignore "$work/context/"
cp dist/operator.mjs dist/operator.mjs.LEGAL.txt "$work/context/dist/"
"${B[@]}" bud --quiet --layers=false --format oci --build-arg "BASE=oci-archive:$base" \
  --tag "$image" "$work/context" >&2
mkdir -p "$out_dir"
tmp="$(mktemp "$out_dir/image.tar.tmp.XXXXXX")"
rm -f "$tmp"
"${B[@]}" push --quiet --compression-format gzip "$image" "oci-archive:$tmp:$image" >&2
mv -f "$tmp" "$out"
echo "image/build.sh: built $image in $(( $(date +%s) - start ))s ($(du -h "$out" | cut -f1))" >&2
report

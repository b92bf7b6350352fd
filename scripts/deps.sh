#!/bin/sh
# Installs the Debian packages edgerun needs, if they are missing.
# usage: scripts/deps.sh run|test
#   run   build + the bundled Fashion-MNIST demo
#   test  everything the test suite uses (reference tools included)
set -eu
profile=${1:-run}
pkgs="cmake make gcc libc6-dev zlib1g-dev dataset-fashion-mnist"
if [ "$profile" = test ]; then
  pkgs="$pkgs clang libclang-rt-14-dev python3 python3-numpy python3-onnx python3-torch \
python3-torchvision python3-skimage libpng-dev libjpeg-dev"
  # node/npm may come from outside Debian (e.g. NodeSource): only install when absent
  command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
  command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
fi
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null

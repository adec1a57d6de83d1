#!/usr/bin/env bash
# Installs everything llmopt needs on Debian 12: the C++ toolchain and libraries (apt-get) and the
# Python tools used by tests (a virtual environment in .venv). Safe to run again.
#   scripts/install-deps.sh            # build + test dependencies
#   scripts/install-deps.sh --no-python  # C++ only (enough for the quick start)
set -euo pipefail
cd "$(dirname "$0")/.."

want_python=1
[[ "${1:-}" == "--no-python" ]] && want_python=0

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"

packages=(
  build-essential cmake ninja-build pkg-config python3 python3-venv
  llvm-16-dev llvm-16-tools libmlir-16-dev mlir-16-tools
  libonnx-dev libprotobuf-dev protobuf-compiler
  libeigen3-dev libcli11-dev libyaml-cpp-dev libgtest-dev libgmock-dev
  libflatbuffers-dev flatbuffers-compiler zlib1g-dev libzstd-dev
  libonnx-testdata
  g++-aarch64-linux-gnu qemu-user
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ((want_python)); then
  # Debian's /usr/bin/python3 is used on purpose: a pyenv python on PATH may lack venv support.
  py=/usr/bin/python3
  [[ -x $py ]] || py=python3
  if [[ ! -x .venv/bin/python ]]; then
    "$py" -m venv .venv
  fi
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-test.txt
fi
echo "install-deps: ok"

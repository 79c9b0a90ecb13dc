#!/usr/bin/env bash
# Makes Debian's PyTorch (python3-torch 1.13, OpenBLAS-pthread for matrix products) importable by
# /usr/bin/python3 — the reference side of bertft's benchmarks. PyPI is not needed (nor reachable here).
# Prints "torch <version> threads <n> openblas <path>" on stdout; apt-get's chatter goes to stderr.
set -euo pipefail
PY=${BERTFT_TORCH_PYTHON:-/usr/bin/python3}
PKGS=(python3-torch libopenblas0-pthread)

if ! "$PY" -c 'import torch' 2>/dev/null; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when apt does not know the packages yet (saves a minute).
  if ! apt-cache policy "${PKGS[@]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    $SUDO apt-get update -q >&2
  fi
  $SUDO apt-get install -y -q --no-install-recommends "${PKGS[@]}" >&2
  if ! "$PY" -c 'import torch' >&2; then
    echo "python3-torch is installed but $PY cannot import it (is $PY Debian's python3?)" >&2
    exit 1
  fi
fi

OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} "$PY" - <<'EOF'
import torch
torch.set_num_threads(2)  # what bert_bench.py uses; OpenMP alone would default to 1 here
blas = next((l.split()[-1] for l in open("/proc/self/maps") if "blas" in l), "?")
print("torch", torch.__version__, "threads", torch.get_num_threads(), "blas", blas)
EOF

#!/usr/bin/env bash
# Installs Debian's PyTorch (1.13, with OpenBLAS) for the reference side of the benchmarks.
set -euo pipefail
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends python3-torch libopenblas0-pthread
fi
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__, "threads", torch.get_num_threads())'

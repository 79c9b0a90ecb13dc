#!/usr/bin/env bash
# The device tool's command for issue #18's GPU bench, after bench/speed/gpu-pack.sh (which copies this file into
# .device/): carry [".device"], command `bash .device/gpu-device.sh`, timeout_s 540. Everything lands in $OUT:
#
#   torch.log      ../shared/device/torch_ref.py tiny,mini,base: PyTorch CUDA fp32 / tf32 / bf16, batch 32 × 128
#   gpu.log        bertft on WebGPU, training step and inference, Tiny / Mini / Base, with the ratios to torch.log
#   torch-e2e.log  gpu_e2e.py: PyTorch, one epoch of 8,000 SST-2 sentences on BERT-Base, dev accuracy
#   gpu-e2e.log    bertft train (fineTune) on WebGPU, the same run
#   gpu-nodrop.log bertft on WebGPU, Base training step with dropout 0: what producing and feeding the masks costs
#   gpu-cpu.log    bertft on the CPU provider (16 cores), the same rows as gpu.log
#   rows.md        the Markdown rows for docs/benchmarks.md (gpu.ts join of the logs above)
#   stderr.log     progress, warnings, the GPU and library versions, how long each phase took
#
# Phases run most important first, each under `timeout`, and all within a deadline (GPU_DEADLINE_S, default 480 s,
# so that with the machine start it takes about 9 of the session's 15 device minutes): a phase that would run past it is cut,
# and the rows written before the cut are kept (one JSON line per row).
set -u
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/gpu-bench-out}
mkdir -p "$OUT"
ERR="$OUT/stderr.log"
DEADLINE=${GPU_DEADLINE_S:-480}
SHAPES=${GPU_SHAPES:-tiny,mini,base}
E2E_SHAPE=${GPU_E2E_SHAPE:-base}
# Extra options, for a local check on lavapipe: e.g. GPU_SPEED_ARGS="--steps 2 --infer-steps 3" GPU_E2E_ARGS="--limit 200".
# GPU_RUN_SH / GPU_PYTHON: another launcher or interpreter (locally: run.sh without its NVIDIA Vulkan variables, which
# hide lavapipe; Debian's python3 with torch).
RUN=${GPU_RUN_SH:-$D/run.sh}
PY=${GPU_PYTHON:-python3}
read -r -a SPEED_ARGS <<< "${GPU_SPEED_ARGS:-}"
read -r -a E2E_ARGS <<< "${GPU_E2E_ARGS:-}"

say() { echo "[gpu-device ${SECONDS}s] $*" >> "$ERR"; }
# Seconds a phase may take: its cap, or what is left before the deadline (at least 5).
cap() { local left=$((DEADLINE - SECONDS)); [ "$left" -lt "$1" ] && echo $((left > 5 ? left : 5)) || echo "$1"; }
phase() { # phase NAME CAP LOG COMMAND...
  local name=$1 secs log=$3 t=$SECONDS
  secs=$(cap "$2")
  shift 3
  say "$name: start (limit ${secs}s)"
  timeout -k 10 "$secs" "$@" > "$log" 2>> "$ERR"
  say "$name: exit $? after $((SECONDS - t))s"
}

{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  "$PY" -c 'import torch, transformers; print("torch", torch.__version__, "cuda", torch.version.cuda, "transformers", transformers.__version__)' 2>&1
  nproc
} >> "$ERR"

phase torch_ref 120 "$OUT/torch.log" "$PY" "$D/torch_ref.py" "$SHAPES"
phase "bertft webgpu" 200 "$OUT/gpu.log" bash "$RUN" speed --shapes "$SHAPES" --devices webgpu --torch "$OUT/torch.log" "${SPEED_ARGS[@]}"
phase "torch e2e" 90 "$OUT/torch-e2e.log" "$PY" "$D/gpu_e2e.py" --data "$D/data" --shape "$E2E_SHAPE" "${E2E_ARGS[@]}"
# bertft's training stops at its budget (the row then says so) to leave time for the dev evaluation and the save.
e2e=$(cap 200)
phase "bertft e2e" "$e2e" "$OUT/gpu-e2e.log" bash "$RUN" e2e --data "$D/data" --shape "$E2E_SHAPE" --budget-s $((e2e > 80 ? e2e - 50 : 30)) "${E2E_ARGS[@]}"
NODROP_SHAPE=${SHAPES##*,}
phase "bertft webgpu dropout 0" 60 "$OUT/gpu-nodrop.log" bash "$RUN" speed --shapes "$NODROP_SHAPE" --devices webgpu --modes train --dropout 0 --steps 5 "${SPEED_ARGS[@]}"
# Last: the CPU provider's rows matter least (its H200 numbers are in ../shared/device/README.md already).
phase "bertft cpu" 150 "$OUT/gpu-cpu.log" bash "$RUN" speed --shapes "$SHAPES" --devices cpu --warmup 1 "${SPEED_ARGS[@]}"
bash "$RUN" join "$OUT"/gpu.log "$OUT"/gpu-cpu.log "$OUT"/gpu-nodrop.log "$OUT"/torch.log "$OUT"/torch-e2e.log "$OUT"/gpu-e2e.log > "$OUT/rows.md" 2>> "$ERR"
say "done"
cat "$OUT/rows.md"
tail -n 25 "$ERR"

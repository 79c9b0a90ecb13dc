#!/usr/bin/env bash
# Packs the GPU bench for the device machine (no Node, no repository, no network there): ../shared/device/pack.sh
# bundles bench/speed/gpu.ts with Node, onnxruntime-node, tokenizers and the Vulkan loader into .device/, and this
# adds what the bench reads there: the first 8,000 SST-2 training sentences, the dev set, the bert-base-uncased
# tokenizer, PyTorch's end-to-end script and the device command (gpu-device.sh).
#
#   bench/speed/gpu-pack.sh            # from the project root, after npm install (and apt-get update, for pack.sh)
#   device tool: carry [".device"], timeout_s 540, command: bash .device/gpu-device.sh      (logs in $OUT)
#
# The device tool carries at most 64 MiB with the working tree: the bundle is ~38 MiB, the data ~1.5 MiB; this checks
# the total. The tool sends the checkout its session started in (not a helper's worktree): pack there.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
SHARED=${BERTFT_SHARED:-../shared}
OUT=.device
LIMIT=${GPU_E2E_SENTENCES:-8000}
[ -x "$SHARED/device/pack.sh" ] || { echo "gpu-pack.sh: no $SHARED/device/pack.sh (set BERTFT_SHARED)" >&2; exit 2; }
"$SHARED/device/pack.sh" bench/speed/gpu.ts "$OUT"

mkdir -p "$OUT/data/tokenizer"
head -n "$LIMIT" "$SHARED/datasets/sst2/sentiment-train.tsv" > "$OUT/data/sst2-train.tsv"
cp "$SHARED/datasets/sst2/sentiment-dev.tsv" "$OUT/data/"
for f in vocab.txt tokenizer.json tokenizer_config.json special_tokens_map.json; do
  cp "$SHARED/tokenizers/bert-tiny/$f" "$OUT/data/tokenizer/"
done
cp bench/speed/torch/gpu_e2e.py bench/speed/gpu-device.sh "$OUT/"
chmod -R u+w "$OUT"

# What travels: tracked and untracked-not-ignored files, plus .device (carried).
tree=$(git ls-files -z -co --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -n 1 | cut -f1)
dev=$(du -sb "$OUT" | cut -f1)
mib=$(((tree + dev) / 1048576))
echo "gpu-pack.sh: $OUT is $((dev / 1048576)) MiB ($(wc -l < "$OUT/data/sst2-train.tsv") training sentences), with the working tree $mib MiB of the 64 the device tool carries"
echo "device tool: carry [\".device\"], timeout_s 540, command: bash .device/gpu-device.sh"
[ "$mib" -lt 62 ] || { echo "gpu-pack.sh: over the device tool's 64 MiB (working tree + .device)" >&2; exit 1; }

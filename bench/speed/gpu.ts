/**
 * The GPU bench of issue #18, one entry for ../shared/device/pack.sh (esbuild bundles it, with bertft, into one
 * app.mjs that runs on the device machine, where there is no Node install, no repository and no network):
 *
 *   gpu.ts [speed] [--shapes tiny,mini,base] [--devices webgpu,cpu] [--steps 10] [--dropout 0.1] [--torch FILE]
 *       ms/step and examples/s, a full fine-tuning step and a forward pass, WebGPU against the CPU provider
 *       (bench/speed/gpu/speed.ts); one JSON line per (shape, device, mode), then a table
 *   gpu.ts e2e --data DIR [--shape base] [--limit 8000]
 *       one epoch of bertft train on SST-2 sentences, with dev accuracy (bench/speed/gpu/e2e.ts)
 *   gpu.ts join LOG...
 *       Markdown rows for docs/benchmarks.md from the logs, with the ratios to PyTorch (bench/speed/gpu/join.ts)
 *
 * Here: node --import tsx bench/speed/gpu.ts …   On the device: bash .device/gpu-device.sh (bench/speed/gpu-pack.sh
 * packs it). Every import is static (or a literal path esbuild follows) and nothing reads repository files at run time.
 */
import { e2eMain } from './gpu/e2e.js';
import { joinMain } from './gpu/join.js';
import { speedMain } from './gpu/speed.js';

const [first, ...rest] = process.argv.slice(2);
const argv = first === undefined || first.startsWith('--') ? process.argv.slice(2) : rest;
const command = first === undefined || first.startsWith('--') ? 'speed' : first;
if (command === 'speed') await speedMain(argv);
else if (command === 'e2e') await e2eMain(argv);
else if (command === 'join') joinMain(argv);
else {
  process.stderr.write(`gpu.ts: unknown command ${command} (speed, e2e, join)\n`);
  process.exit(2);
}

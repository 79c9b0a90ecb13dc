/**
 * The WebGPU tests' gate, like needsShared (test/helpers/shared.ts): a test that needs a WebGPU adapter
 * (a GPU's Vulkan driver, or Mesa's lavapipe on a CPU machine, docs/gpu.md) is skipped without one, unless
 * BERTFT_REQUIRE_WEBGPU=1 (CI, .ci/run): then it runs (and fails), and the file gets one more failing test
 * that says why.
 */
import { test, type TestOptions } from 'node:test';
import assert from 'node:assert/strict';
import { probeWebgpu, type WebgpuProbe } from '../../src/engine/onnx/webgpu.js';

/** BERTFT_REQUIRE_WEBGPU=1: a missing adapter fails the tests that need one instead of skipping them. */
export const REQUIRE_WEBGPU = process.env.BERTFT_REQUIRE_WEBGPU === '1';

/** onnxruntime's WebGPU probe, once per test process. */
export const webgpuAdapter: WebgpuProbe = await probeWebgpu();

let reportedMissing = false;

/** The node:test options of a test that needs a WebGPU adapter: `test(name, needsWebgpu({ timeout }), fn)`. */
export function needsWebgpu(options: TestOptions = {}): TestOptions {
  if (webgpuAdapter.available) return options;
  if (!REQUIRE_WEBGPU) {
    return {
      ...options,
      skip: `needs a WebGPU adapter (${webgpuAdapter.reason}): a GPU's Vulkan driver, or Mesa's lavapipe (docs/gpu.md); set BERTFT_REQUIRE_WEBGPU=1 to make this a failure, as CI does`,
    };
  }
  if (!reportedMissing) {
    reportedMissing = true;
    test('a WebGPU adapter is there (BERTFT_REQUIRE_WEBGPU=1)', () => {
      assert.fail(`BERTFT_REQUIRE_WEBGPU=1 but onnxruntime finds no WebGPU adapter (${webgpuAdapter.reason}); .ci/run installs Mesa's lavapipe for it`);
    });
  }
  return options;
}

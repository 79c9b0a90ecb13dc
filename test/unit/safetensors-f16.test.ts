import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { float32ToFloat16Bits, readSafetensors, writeSafetensors } from '../../src/checkpoint/safetensors.js';

test('float32 → float16 bits: exact values, rounding to nearest even, subnormals, overflow, NaN', () => {
  assert.equal(float32ToFloat16Bits(1), 0x3c00);
  assert.equal(float32ToFloat16Bits(-2), 0xc000);
  assert.equal(float32ToFloat16Bits(65504), 0x7bff);
  assert.equal(float32ToFloat16Bits(65520), 0x7c00); // rounds up to +Inf
  assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00); // tie → even (down)
  assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
  assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(float32ToFloat16Bits(2 ** -26), 0x0000); // underflows to zero
  assert.equal(float32ToFloat16Bits(6.103515625e-5), 0x0400); // smallest normal
  assert.equal(float32ToFloat16Bits(Number.POSITIVE_INFINITY), 0x7c00);
  assert.equal(float32ToFloat16Bits(Number.NaN) & 0x7c00, 0x7c00);
  assert.notEqual(float32ToFloat16Bits(Number.NaN) & 0x3ff, 0);
});

test('F16 safetensors round trip stays within half-precision rounding (relative 2^-11)', async () => {
  const data = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 0.37) * 10 ** ((i % 7) - 4));
  const file = join(mkdtempSync(join(tmpdir(), 'bertft-f16-')), 'model.safetensors');
  await writeSafetensors(file, new Map([['w', { shape: [10, 100], data }]]), undefined, 'F16');
  const back = (await readSafetensors(file)).tensors.get('w')!;
  assert.deepEqual(back.shape, [10, 100]);
  for (let i = 0; i < data.length; i++) {
    const tol = Math.max(Math.abs(data[i]!) * 2 ** -11, 2 ** -25);
    assert.ok(Math.abs(back.data[i]! - data[i]!) <= tol, `value ${i}: ${data[i]} → ${back.data[i]}`);
  }
});

import { after, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTfjs } from '../../src/engine/tfjs/backend.js';
import { createSession, int64Tensor, loadOrt } from '../../src/engine/onnx/session.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { traceEncoder } from '../../src/engine/onnx/trace.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import type { TokenBatch } from '../../src/tokenization/index.js';

/** The encoder's last hidden state [B·S·H] on onnxruntime (the trace `bertft embed` runs). */
export async function onnxLastHidden(config: BertConfig, weights: ReadonlyMap<string, HostTensor>, tokens: TokenBatch): Promise<Float32Array> {
  const ort = await loadOrt();
  const session = await createSession(toModelBytes(traceEncoder(config, weights, { output: 'last_hidden_state' })));
  const dims = [tokens.batchSize, tokens.seqLength];
  const out = await session.run({
    input_ids: int64Tensor(ort, tokens.inputIds, dims),
    attention_mask: int64Tensor(ort, tokens.attentionMask, dims),
    token_type_ids: int64Tensor(ort, tokens.tokenTypeIds, dims),
  });
  await session.release();
  return out.last_hidden_state!.data as Float32Array;
}

/**
 * A test file's scratch folder and its report of differences: TF.js on the CPU and a temporary
 * folder before the tests, and after them the folder removed and the report printed under `title`.
 */
export function fixtureRun(prefix: string, title: string): { report: string[]; scratch: () => string } {
  const report: string[] = [];
  let scratch = '';
  before(async () => {
    await initTfjs('cpu');
    scratch = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
    if (report.length > 0) console.log(`${title}:\n${report.join('\n')}`);
  });
  return { report, scratch: () => scratch };
}

/** The batch of a family fixture's expected.json (token types zero where the family has none). */
export function fixtureTokens(expected: { input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][] }): TokenBatch {
  const flat = (rows: number[][]) => Int32Array.from(rows.flat());
  return {
    batchSize: expected.input_ids.length,
    seqLength: expected.input_ids[0]!.length,
    inputIds: flat(expected.input_ids),
    attentionMask: flat(expected.attention_mask),
    tokenTypeIds: expected.token_type_ids ? flat(expected.token_type_ids) : new Int32Array(expected.input_ids.flat().length),
  };
}

import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, replaceDirAtomic, writeSafetensors } from '../checkpoint/index.js';
import type { OptimizerState } from '../engine/types.js';
import { BertftError } from '../errors.js';
import type { HostTensor } from '../models/host-tensor.js';

/** The folder inside the output folder that holds the latest resumable state (train and pretrain alike). */
export const CHECKPOINT_DIR = 'checkpoint-last';
const STATE_FILE = 'trainer_state.json';
/** What bertft before the one trainer called the pre-training state file; still read, never written. */
const OLD_PRETRAIN_STATE_FILE = 'pretrain_state.json';

/** Everything needed to continue a run exactly where it stopped. `S` is the objective's loop state. */
export interface ResumeCheckpoint<S> {
  weights: Map<string, HostTensor>;
  optimizer: OptimizerState;
  state: S;
  /** The run's settings, to refuse resuming with different data or hyper-parameters. */
  fingerprint: string;
}

/**
 * Saves weights, AdamW moments and the loop state into `<output>/checkpoint-last`, replacing the
 * previous one atomically: a kill at any moment leaves one complete checkpoint.
 */
export async function saveResumeCheckpoint<S extends object>(outputDir: string, cp: ResumeCheckpoint<S>): Promise<void> {
  await replaceDirAtomic(join(outputDir, CHECKPOINT_DIR), async (tmp) => {
    await writeSafetensors(join(tmp, 'model.safetensors'), cp.weights);
    const moments = new Map<string, HostTensor>();
    for (const [name, s] of cp.optimizer.moments) {
      moments.set(`m.${name}`, { shape: s.shape, data: s.m });
      moments.set(`v.${name}`, { shape: s.shape, data: s.v });
    }
    await writeSafetensors(join(tmp, 'optimizer.safetensors'), moments, { step: String(cp.optimizer.step) });
    await writeFile(join(tmp, STATE_FILE), `${JSON.stringify({ fingerprint: cp.fingerprint, ...cp.state })}\n`);
  });
}

/** Loads `<output>/checkpoint-last`, or undefined when there is none. */
export async function loadResumeCheckpoint<S>(outputDir: string): Promise<ResumeCheckpoint<S> | undefined> {
  const dir = join(outputDir, CHECKPOINT_DIR);
  const parsed = await readState<S>(dir);
  if (!parsed) return undefined;
  const { tensors: weights } = await readSafetensors(join(dir, 'model.safetensors'));
  const opt = await readSafetensors(join(dir, 'optimizer.safetensors'));
  const moments: OptimizerState['moments'] = new Map();
  for (const [key, t] of opt.tensors) {
    if (!key.startsWith('m.')) continue;
    const name = key.slice(2);
    const v = opt.tensors.get(`v.${name}`);
    if (!v) throw new BertftError(`${join(dir, 'optimizer.safetensors')}: missing v.${name}; delete ${dir} to start over`);
    moments.set(name, { m: t.data, v: v.data, shape: t.shape });
  }
  return { weights, optimizer: { step: Number(opt.metadata.step ?? 0), moments }, state: parsed.state, fingerprint: parsed.fingerprint };
}

async function readState<S>(dir: string): Promise<{ fingerprint: string; state: S } | undefined> {
  for (const name of [STATE_FILE, OLD_PRETRAIN_STATE_FILE]) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new BertftError(`${file}: unreadable (${(e as Error).message}); delete ${dir} to start over`);
    }
    // The old pre-training file nested the state under `state`; the one format spreads it beside the fingerprint.
    const { fingerprint, ...state } = parsed;
    return { fingerprint: String(fingerprint), state: (name === OLD_PRETRAIN_STATE_FILE ? state.state : state) as S };
  }
  return undefined;
}

/**
 * Deletes `<output>/checkpoint-last` once a run has finished: it holds the weights plus two AdamW
 * moments (3× the model: 51 MB beside a 17 MB BERT-Tiny, gigabytes for Base) and only serves --resume.
 */
export async function removeResumeCheckpoint(outputDir: string): Promise<void> {
  await rm(join(outputDir, CHECKPOINT_DIR), { recursive: true, force: true });
}

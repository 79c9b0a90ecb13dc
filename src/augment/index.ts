import type { Example } from '../data/index.js';
import { Rng } from '../data/random.js';
import type { DeviceChoice } from '../engine/types.js';
import { BertftError } from '../errors.js';
import { MaskedLanguageModel } from '../inference/fill-mask.js';
import type { EngineChoice } from '../engine/select.js';
import { edaCopies } from './eda.js';
import { mlmCopies } from './mlm.js';
import type { AugmentSpec } from './spec.js';

/**
 * Training-data augmentation: each example followed by `spec.copies` altered copies of its text
 * with the same label. Only `text` is altered; a pair's second text is copied as it is. Callers add
 * the result to training data only (fineTune does so after the validation split is taken).
 */

export { parseAugmentSpec, formatAugmentSpec, AUGMENT_DEFAULTS, AUGMENT_METHODS, type AugmentSpec, type AugmentMethod } from './spec.js';
export { edaCopies, STOP_WORDS } from './eda.js';
export { mlmCopies, type MlmCopy } from './mlm.js';
export { synonyms } from './wordnet.js';

export interface AugmentedExample extends Example {
  /** `original`, `eda:sr` / `eda:ri` / `eda:rs` / `eda:rd` (the EDA operation), or `mlm`. */
  augmentation: string;
  /** 0-based index of the example this row comes from, in the examples given. */
  origin: number;
}

export interface AugmentOptions {
  /** Same seed and data → the same copies; each example draws from its own stream (exampleRng), so its copies do not depend on the rest of the data. */
  seed: number;
  /** mlm: the model whose masked-LM head fills the masks (a folder, a Hub id, or a loaded model, which is not disposed). */
  model?: string | MaskedLanguageModel;
  /** mlm: longest token sequence; only words within it are masked (use the training max length; default 128 capped by the model's positions). */
  maxLength?: number;
  engine?: EngineChoice;
  device?: DeviceChoice;
  offline?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** murmur3's 32-bit finaliser: spreads nearby integers over the whole range. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over a string's UTF-16 code units, then fmix32. */
function hashString(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return fmix32(h >>> 0);
}

/**
 * The generator of one example under `seed`, keyed by where the example was read (file and line):
 * its copies are the same whether it is augmented alone, in `bertft augment`, or in training after
 * a validation split or --limit took other rows away.
 */
export function exampleRng(seed: number, example: Pick<Example, 'file' | 'line'>): Rng {
  const s = new Rng(seed).int(0x100000000); // folds any finite seed to 32 bits, as the rest of the package does
  return new Rng(fmix32(s ^ hashString(`${example.file}:${example.line}`)));
}

/** The examples, each followed by its augmented copies (see AugmentedExample). */
export async function augmentExamples(examples: readonly Example[], spec: AugmentSpec, options: AugmentOptions): Promise<AugmentedExample[]> {
  const copies: Array<Array<{ text: string; augmentation: string }>> = [];
  if (spec.method === 'eda') {
    examples.forEach((e, i) => {
      copies.push(edaCopies(e.text, spec.rate, spec.copies, exampleRng(options.seed, e)).map((c) => ({ text: c.text, augmentation: `eda:${c.operation}` })));
      if (i % 1000 === 999) options.onProgress?.(i + 1, examples.length);
    });
    options.onProgress?.(examples.length, examples.length);
  } else {
    if (options.model === undefined) throw new BertftError('mlm augmentation needs a model with a masked-LM head');
    let model: MaskedLanguageModel;
    if (typeof options.model === 'string') {
      try {
        model = await MaskedLanguageModel.fromPretrained(options.model, { engine: options.engine, device: options.device, offline: options.offline });
      } catch (e) {
        if (e instanceof BertftError) throw new BertftError(`mlm augmentation: ${e.message}`, e.exitCode);
        throw e;
      }
    } else {
      model = options.model;
    }
    try {
      const texts = examples.map((e) => e.text);
      const made = await mlmCopies(model, texts, spec.rate, spec.copies, (i) => exampleRng(options.seed, examples[i]!), {
        maxLength: options.maxLength,
        onProgress: options.onProgress,
      });
      for (const list of made) copies.push(list.map((c) => ({ text: c.text, augmentation: 'mlm' })));
    } finally {
      if (typeof options.model === 'string') await model.dispose();
    }
  }
  const out: AugmentedExample[] = [];
  examples.forEach((e, i) => {
    out.push({ ...e, augmentation: 'original', origin: i });
    for (const c of copies[i]!) out.push({ ...e, text: c.text, augmentation: c.augmentation, origin: i });
  });
  return out;
}

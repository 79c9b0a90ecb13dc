import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BertftError } from '../errors.js';
import { bertParamNames, bertParamShape } from '../models/bert/bert.js';
import type { BertConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

export interface LoadedBertWeights {
  /** Exactly bertParamNames(config, hasPooler), without the `bert.` prefix. */
  weights: Map<string, HostTensor>;
  hasPooler: boolean;
  /** `classifier.weight` / `classifier.bias` of a BertForSequenceClassification. */
  classifier?: Map<string, HostTensor>;
  /** `cls.predictions.*` of BertForMaskedLM / BertForPreTraining (decoder filled from the tied embeddings). */
  mlmHead?: Map<string, HostTensor>;
  /** Tensors present but not used. */
  ignored: string[];
  /** The file(s) read, for messages. */
  file: string;
}

const OTHER_FORMATS = ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', 'model.ckpt.index'];

/** Reads model.safetensors, or the shards listed by model.safetensors.index.json. */
async function readWeightFiles(dir: string): Promise<{ tensors: Map<string, HostTensor>; file: string }> {
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return { tensors: (await readSafetensors(single)).tensors, file: single };
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    let map: Record<string, string>;
    try {
      map = (JSON.parse(await readFile(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
      if (!map || typeof map !== 'object') throw new Error('no weight_map');
    } catch (e) {
      throw new BertftError(`${index}: unreadable shard index (${(e as Error).message})`);
    }
    const tensors = new Map<string, HostTensor>();
    for (const shard of [...new Set(Object.values(map))].sort()) {
      const path = join(dir, shard);
      if (!existsSync(path)) throw new BertftError(`${index}: lists shard ${shard}, which is missing from ${dir}`);
      for (const [n, t] of (await readSafetensors(path)).tensors) tensors.set(n, t);
    }
    return { tensors, file: index };
  }
  const other = OTHER_FORMATS.find((f) => existsSync(join(dir, f)));
  if (other) {
    throw new BertftError(
      `${join(dir, other)}: bertft reads safetensors only; convert once with Python: ` +
        `python -c "from transformers import AutoModel; m = AutoModel.from_pretrained('${dir}'); m.save_pretrained('${dir}', safe_serialization=True)"`,
    );
  }
  throw new BertftError(`${dir}: no model.safetensors (or model.safetensors.index.json) in this folder`);
}

/** HF name without the architecture prefix, with legacy LayerNorm gamma/beta renamed. */
function canonicalName(name: string): string {
  let n = name.startsWith('bert.') ? name.slice(5) : name;
  if (n.includes('LayerNorm.gamma')) n = n.replace('LayerNorm.gamma', 'LayerNorm.weight');
  if (n.includes('LayerNorm.beta')) n = n.replace('LayerNorm.beta', 'LayerNorm.bias');
  return n;
}

function checkShape(file: string, name: string, t: HostTensor, expected: number[]): void {
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new BertftError(`${file}: tensor ${name} has shape [${t.shape.join(', ')}] but config.json says [${expected.join(', ')}]`);
  }
}

/**
 * Loads BERT weights from a folder, accepting the layouts of BertModel (no prefix),
 * BertForPreTraining / BertForMaskedLM / BertForSequenceClassification (`bert.` prefix).
 */
export async function loadBertWeights(dir: string, config: BertConfig): Promise<LoadedBertWeights> {
  const { tensors, file } = await readWeightFiles(dir);
  const byName = new Map<string, HostTensor>();
  for (const [raw, t] of tensors) byName.set(canonicalName(raw), t);
  const hasPooler = byName.has('pooler.dense.weight');
  const weights = new Map<string, HostTensor>();
  for (const name of bertParamNames(config, hasPooler)) {
    const t = byName.get(name);
    if (!t) throw new BertftError(`${file}: tensor ${name} (or bert.${name}) is missing`);
    checkShape(file, name, t, bertParamShape(config, name));
    weights.set(name, t);
    byName.delete(name);
  }
  let classifier: Map<string, HostTensor> | undefined;
  const cw = byName.get('classifier.weight');
  const cb = byName.get('classifier.bias');
  if (cw && cb) {
    if (cw.shape.length !== 2 || cw.shape[1] !== config.hiddenSize || cb.shape[0] !== cw.shape[0]) {
      throw new BertftError(`${file}: classifier.weight [${cw.shape.join(', ')}] / classifier.bias [${cb.shape.join(', ')}] do not fit hidden_size ${config.hiddenSize}`);
    }
    classifier = new Map([['classifier.weight', cw], ['classifier.bias', cb]]);
    byName.delete('classifier.weight');
    byName.delete('classifier.bias');
  }
  let mlmHead: Map<string, HostTensor> | undefined;
  const mlm = [...byName.keys()].filter((n) => n.startsWith('cls.predictions.'));
  if (mlm.length) {
    mlmHead = new Map(mlm.map((n) => [n, byName.get(n)!]));
    if (!mlmHead.has('cls.predictions.decoder.weight')) mlmHead.set('cls.predictions.decoder.weight', weights.get('embeddings.word_embeddings.weight')!);
    for (const n of mlm) byName.delete(n);
  }
  const ignored = [...byName.keys()].filter((n) => !n.endsWith('position_ids'));
  return { weights, hasPooler, classifier, mlmHead, ignored, file };
}

/** Writes model.safetensors in the BertForSequenceClassification layout (`bert.` + name, `classifier.*`). */
export async function saveBertWeights(dir: string, weights: ReadonlyMap<string, HostTensor>, classifier?: ReadonlyMap<string, HostTensor>): Promise<void> {
  const out = new Map<string, HostTensor>();
  for (const [n, t] of weights) out.set(`bert.${n}`, t);
  for (const [n, t] of classifier ?? []) out.set(n, t);
  await writeSafetensors(join(dir, 'model.safetensors'), out);
}

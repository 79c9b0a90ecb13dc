import { mkdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { BertftError } from '../errors.js';
import { classifierParamNames, classifierParamShape, classifierWidth, isClassifierParam } from '../heads/classification.js';
import { tiedDecoder } from '../heads/masked-lm.js';
import { tokenHeadKind } from '../heads/token-classification.js';
import { bertParamNames, bertParamShape } from '../models/bert/bert.js';
import type { BertConfig } from '../models/bert/config.js';
import { embeddingWidth, familyOf, hfMaskedLmName, hfName, internalName, type FamilySpec } from '../models/bert/family.js';
import type { HostTensor } from '../models/host-tensor.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

export interface LoadedBertWeights {
  /** Exactly bertParamNames(config, hasPooler), by bertft's names (BERT's, without the `bert.` prefix, family.ts). */
  weights: Map<string, HostTensor>;
  /** Whether `pooler.dense.*` was in the checkpoint (without it, pool with `mean` or `cls`). */
  hasPooler: boolean;
  /** The classification head of a `<Family>ForSequenceClassification` (classifierParamNames, heads/classification.ts). */
  classifier?: Map<string, HostTensor>;
  /** The head of a `<Family>ForTokenClassification` (heads/token-classification.ts), when loaded with `tokenHead`. */
  tokenClassifier?: Map<string, HostTensor>;
  /**
   * The masked-LM head of BertForMaskedLM / BertForPreTraining, by the names in MLM_HEAD_NAMES.
   * `cls.predictions.decoder.weight` is tied to the word embeddings in HF and usually absent from
   * the file; then it is the very same tensor as the word embeddings (`embeddings.word_embeddings.weight`, ModernBERT's `embeddings.tok_embeddings.weight`).
   */
  mlmHead?: Map<string, HostTensor>;
  /** Tensors present but not used (as named in the file); known extras such as `position_ids` and the NSP head are not listed. */
  ignored: string[];
  /** The file read (`model.safetensors`, or `model.safetensors.index.json` for shards), for messages. */
  file: string;
}

/** The masked-LM head's parameters as bertft names them (HF names of BertForMaskedLM). */
export const MLM_HEAD_NAMES = [
  'cls.predictions.transform.dense.weight',
  'cls.predictions.transform.dense.bias',
  'cls.predictions.transform.LayerNorm.weight',
  'cls.predictions.transform.LayerNorm.bias',
  'cls.predictions.decoder.weight',
  'cls.predictions.bias',
] as const;

/** Weight files of other frameworks that bertft cannot read, and how they are named. */
const OTHER_FORMATS = ['pytorch_model.bin', 'pytorch_model.bin.index.json', 'tf_model.h5', 'flax_model.msgpack', 'model.ckpt.index'];

/** A tensor together with the name and file it was read under, for messages. */
interface Found {
  tensor: HostTensor;
  name: string;
  file: string;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The sentence to print when only a PyTorch/TF/Flax checkpoint is present. */
function convertHint(dir: string): string {
  return (
    `bertft reads safetensors only (no pickle); convert once with Python: ` +
    `python -c "from transformers import AutoModel; AutoModel.from_pretrained('${dir}').save_pretrained('${dir}', safe_serialization=True)"`
  );
}

/** Reads the shards listed by a `model.safetensors.index.json`. */
async function readShards(dir: string, index: string): Promise<Map<string, Found>> {
  let map: unknown;
  try {
    map = (JSON.parse(await readFile(index, 'utf8')) as { weight_map?: unknown }).weight_map;
  } catch (e) {
    throw new BertftError(`${index}: unreadable shard index (${(e as Error).message}); fix or re-download it`);
  }
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new BertftError(`${index}: has no "weight_map" object naming the shard of each tensor`);
  const weightMap = map as Record<string, unknown>;
  for (const [name, shard] of Object.entries(weightMap)) {
    // A shard is a plain file next to the index, never a path elsewhere on disk.
    if (typeof shard !== 'string' || !shard || isAbsolute(shard) || normalize(shard).split(sep).includes('..')) {
      throw new BertftError(`${index}: weight_map gives ${JSON.stringify(shard)} for tensor ${name}; expected a file name in ${dir}`);
    }
  }
  const found = new Map<string, Found>();
  for (const shard of [...new Set(Object.values(weightMap) as string[])].sort()) {
    const path = join(dir, shard);
    if (!(await exists(path))) throw new BertftError(`${index}: lists shard ${shard}, which is missing from ${dir}; download it too`);
    for (const [name, tensor] of (await readSafetensors(path)).tensors) found.set(name, { tensor, name, file: path });
  }
  for (const [name, shard] of Object.entries(weightMap)) {
    if (found.get(name)?.file !== join(dir, shard as string))
      throw new BertftError(`${index}: lists tensor ${name} in ${shard as string}, but that shard does not hold it`);
  }
  return found;
}

/** Reads `model.safetensors`, or the shards listed by `model.safetensors.index.json`. */
async function readWeightFiles(dir: string): Promise<{ found: Map<string, Found>; file: string }> {
  const single = join(dir, 'model.safetensors');
  if (await exists(single)) {
    const found = new Map<string, Found>();
    for (const [name, tensor] of (await readSafetensors(single)).tensors) found.set(name, { tensor, name, file: single });
    return { found, file: single };
  }
  const index = join(dir, 'model.safetensors.index.json');
  if (await exists(index)) return { found: await readShards(dir, index), file: index };
  for (const other of OTHER_FORMATS) {
    if (await exists(join(dir, other))) throw new BertftError(`${join(dir, other)}: ${convertHint(dir)}`);
  }
  if (!(await exists(dir))) throw new BertftError(`${dir}: no such folder; give a model folder with config.json and model.safetensors`);
  throw new BertftError(`${dir}: no model.safetensors (or model.safetensors.index.json) in this folder; is it a Hugging Face model folder?`);
}

/** The name bertft uses: no architecture prefix, the family's module names as BERT's, legacy LayerNorm `gamma`/`beta` as `weight`/`bias`. */
function canonicalName(name: string, family: FamilySpec): string {
  return internalName(family, name)
    .replace(/\.LayerNorm\.gamma$/, '.LayerNorm.weight')
    .replace(/\.LayerNorm\.beta$/, '.LayerNorm.bias');
}

/** Buffers PyTorch saves beside the parameters; they are not weights. */
const isBuffer = (name: string) => name.endsWith('embeddings.position_ids') || name.endsWith('embeddings.token_type_ids');

function checkShape(f: Found, expected: readonly number[], what = 'config.json says'): void {
  const t = f.tensor;
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new BertftError(
      `${f.file}: tensor ${f.name} has shape [${t.shape.join(', ')}] but ${what} [${expected.join(', ')}]; the weights do not belong to this config.json`,
    );
  }
}

/**
 * Takes the classification head out of `byName` when the checkpoint has one: the family's
 * sequence head, or the layout `kind` (a token-classification head, heads/token-classification.ts).
 */
function takeClassifier(byName: Map<string, Found>, config: BertConfig, file: string, kind = familyOf(config).head): Map<string, HostTensor> | undefined {
  const names = classifierParamNames(config, kind);
  const present = names.filter((n) => byName.has(n));
  // ModernBERT's masked-LM checkpoints have `head.*` too (the prediction head), but no classifier.
  if (present.length === 0 || (kind === 'dense-act-norm' && !byName.has('classifier.weight'))) return undefined;
  if (present.length < names.length) {
    const missing = names.filter((n) => !byName.has(n));
    throw new BertftError(`${file}: has ${present.join(', ')} but not ${missing.join(', ')}; the classifier head is incomplete`);
  }
  const head = new Map(names.map((n) => [n, byName.get(n)!.tensor]));
  const labels = classifierWidth(head) ?? 0;
  for (const name of names)
    checkShape(byName.get(name)!, classifierParamShape(config, labels, name, kind), `hidden_size in config.json and ${labels} labels need`);
  for (const name of names) byName.delete(name);
  return head;
}

/**
 * Takes the masked-LM head out of `byName`. HF ties the decoder to the word embeddings and its
 * bias to `cls.predictions.bias`, so either may be missing from the file. A head that is still
 * incomplete is left in `byName` (then listed as ignored): the encoder is usable without it. A
 * transform named as the family's classifier (ModernBERT's `head.*`, family.ts) is still under the
 * family's names here, and is looked up by them. A transform without biases (ModernBERT) has
 * neither `cls.predictions.transform.*.bias`.
 */
function takeMlmHead(byName: Map<string, Found>, config: BertConfig, embeddings: HostTensor): Map<string, HostTensor> | undefined {
  const family = familyOf(config);
  if (!family.maskedLm) return undefined;
  // E wide (the embeddings' width) for ALBERT and ELECTRA's generator, H for the others.
  const E = embeddingWidth(config);
  const V = config.vocabSize;
  const expected: Record<(typeof MLM_HEAD_NAMES)[number], number[]> = {
    'cls.predictions.transform.dense.weight': [E, config.hiddenSize],
    'cls.predictions.transform.dense.bias': [E],
    'cls.predictions.transform.LayerNorm.weight': [E],
    'cls.predictions.transform.LayerNorm.bias': [E],
    'cls.predictions.decoder.weight': [V, E],
    'cls.predictions.bias': [V],
  };
  const names = MLM_HEAD_NAMES.filter((n) => family.maskedLm!.transformBiases !== false || !/^cls\.predictions\.transform\..*\.bias$/.test(n));
  const stored = (name: string) => (family.maskedLm!.namedAsClassifier ? hfMaskedLmName(family, name) : name);
  const bias = byName.get('cls.predictions.bias') ?? byName.get('cls.predictions.decoder.bias');
  const pick = (name: string) => (name === 'cls.predictions.bias' ? bias : byName.get(stored(name)));
  const transformPresent = names.filter((n) => n.startsWith('cls.predictions.transform.')).every((n) => byName.has(stored(n)));
  if (!transformPresent || !bias) return undefined;
  const head = new Map<string, HostTensor>();
  for (const name of names) {
    const f = pick(name);
    if (f) checkShape(f, expected[name]);
    head.set(name, f ? f.tensor : embeddings);
  }
  for (const name of [...names, 'cls.predictions.decoder.bias']) byName.delete(stored(name));
  byName.delete('cls.predictions.bias');
  return head;
}

/**
 * Loads BERT encoder weights from a Hugging Face model folder and checks them against config.json.
 *
 * Reads `model.safetensors`, or the shards of `model.safetensors.index.json`. Names may be as
 * BertModel publishes them (no prefix) or with the `bert.` prefix of BertForPreTraining /
 * BertForMaskedLM / BertForSequenceClassification; legacy LayerNorm `gamma`/`beta` are accepted.
 * `classifier.*` (the token head's with `tokenHead`) and `cls.predictions.*` are returned separately; the NSP head
 * (`cls.seq_relationship.*`) and `position_ids` buffers are dropped; anything else is listed in
 * `ignored`.
 *
 * @throws BertftError when the folder has no safetensors weights (with how to convert a
 *   pytorch_model.bin), a tensor is missing (naming file and tensor), or a shape disagrees with
 *   config.json (naming file, tensor, found and expected shape).
 */
export async function loadBertWeights(dir: string, config: BertConfig, options: { tokenHead?: boolean } = {}): Promise<LoadedBertWeights> {
  const { found, file } = await readWeightFiles(dir);
  const family = familyOf(config);
  const byName = new Map<string, Found>();
  for (const [raw, f] of found) {
    const name = canonicalName(raw, family);
    const twin = byName.get(name);
    if (twin) throw new BertftError(`${file}: holds both ${twin.name} and ${raw}, which name the same weight; keep one`);
    byName.set(name, f);
  }
  const hasPooler = byName.has('pooler.dense.weight') || byName.has('pooler.dense.bias');
  const weights = new Map<string, HostTensor>();
  for (const name of bertParamNames(config, hasPooler)) {
    const f = byName.get(name);
    if (!f) {
      const published = hfName(family, name);
      throw new BertftError(
        `${file}: tensor ${published.slice(family.prefix.length + 1)} (or ${published}) is missing; is this a ${family.modelType} checkpoint that matches config.json?`,
      );
    }
    checkShape(f, bertParamShape(config, name));
    weights.set(name, f.tensor);
    byName.delete(name);
  }
  // A token classifier's head is told apart by config.json's architectures (BERT's has the sequence head's very names and shapes).
  const tokenClassifier = options.tokenHead ? takeClassifier(byName, config, file, tokenHeadKind(config)) : undefined;
  const classifier = options.tokenHead ? undefined : takeClassifier(byName, config, file);
  const mlmHead = takeMlmHead(byName, config, weights.get(tiedDecoder(config))!);
  const ignored = [...byName.entries()]
    .filter(([name]) => !isBuffer(name) && !name.startsWith('cls.seq_relationship.'))
    .map(([, f]) => f.name)
    .sort();
  return { weights, hasPooler, classifier, tokenClassifier, mlmHead, ignored, file };
}

/**
 * Writes `dir/model.safetensors` (F32) in the `<Family>ForSequenceClassification` layout of
 * `config`'s family (BERT when omitted): encoder parameters by the family's names with its prefix
 * (`bert.` + name for BERT, family.ts), the classification head's tensors unprefixed. The file is
 * replaced atomically; `dir` is created when missing.
 */
export async function saveBertWeights(
  dir: string,
  weights: ReadonlyMap<string, HostTensor>,
  classifier?: ReadonlyMap<string, HostTensor>,
  config?: Pick<BertConfig, 'family'>,
): Promise<void> {
  const family = familyOf(config ?? {});
  const out = new Map<string, HostTensor>();
  for (const [name, t] of weights) out.set(hfName(family, name), t);
  for (const [name, t] of classifier ?? []) {
    if (!isClassifierParam(name)) throw new BertftError(`saveBertWeights: head tensor ${name} must be named classifier.* or pre_classifier.*`);
    out.set(name, t);
  }
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, 'model.safetensors'), out);
}

import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadBertWeights, readBertConfig, replaceDirAtomic } from '../checkpoint/index.js';
import { UsageError } from '../errors.js';
import { readClassifierConfig } from '../checkpoint/classifier-config.js';
import { isTokenClassifierConfig, readTokenClassifierConfig } from '../checkpoint/token-classifier-config.js';
import { modelMaxLength, tokenizerConfigText } from '../checkpoint/tokenizer-config.js';
import type { Pooling } from '../models/bert/bert.js';
import type { BertConfig, RawConfig } from '../models/bert/config.js';
import { CLASSIFIER_WEIGHT, classifierWidth } from '../heads/classification.js';
import { resolveMaskedLmHead } from '../inference/masked-lm.js';
import { BertTokenizer } from '../tokenization/index.js';
import { loadTokenizer } from '../tokenization/load.js';
import type { Graph } from '../engine/onnx/graph.js';
import { quantizeGraph } from '../engine/onnx/quantize.js';
import { appendSepToCutRows, endRowsWithSep } from './sep-guard.js';
import { toModelBytes } from '../engine/onnx/to-proto.js';
import { traceClassifier, traceEncoder, traceMaskedLm, traceTokenClassifier } from '../engine/onnx/trace.js';
import { usablePositions } from '../checkpoint/positions.js';
import { familyOf } from '../models/bert/family.js';
import { checkMaskedLmFamily } from '../pretrained.js';

/**
 * Writes a model folder that `@huggingface/transformers` (transformers.js) loads offline:
 *
 *   config.json              the model's, plus `transformers.js_config`
 *   tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.txt
 *   onnx/model.onnx          fp32 — what transformers.js v4 loads by default in Node (device cpu → dtype fp32)
 *   onnx/model_quantized.onnx  int8 weights (with `quantize`) — what it picks for dtype `q8`, the browser default
 *
 * The graph inputs are `input_ids`, `attention_mask`, `token_type_ids` (int64, [batch_size,
 * sequence_length]); the output is `logits` [batch_size, C] (text-classification), `logits`
 * [batch_size, sequence_length, C] (token-classification), `logits` [batch_size,
 * sequence_length, V] (fill-mask) or `last_hidden_state` (feature-extraction), the names
 * transformers.js reads.
 */

export type ExportTask = 'text-classification' | 'token-classification' | 'fill-mask' | 'feature-extraction';
export const EXPORT_TASKS: readonly ExportTask[] = ['text-classification', 'token-classification', 'fill-mask', 'feature-extraction'];

export interface ExportOptions {
  /**
   * Default: token-classification when config.json's architectures name a
   * `<Family>ForTokenClassification`, text-classification when the folder has a classification
   * head, else fill-mask when it has a masked-LM head (`cls.predictions.*`), else feature-extraction.
   */
  task?: ExportTask;
  /** Also write `onnx/model_quantized.onnx` (int8 weights, dynamic int8 activations). */
  quantize?: boolean;
  /**
   * The pooling that feeds the classification head. Default: `bertft.pooling` from config.json
   * (written by `bertft train`), else `pooler` as in Hugging Face's BertForSequenceClassification,
   * or `cls` when the checkpoint has no pooler weights (checkpoint/classifier-config.ts).
   */
  pooling?: Pooling;
  /** Replace `outDir` when it already exists (default: refuse). */
  overwrite?: boolean;
}

export interface ExportResult {
  outDir: string;
  task: ExportTask;
  /** Pooling baked into a classifier graph. */
  pooling?: Pooling;
  /** Files written, relative to outDir. */
  files: string[];
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

/**
 * The length transformers.js (and Python with truncation=True) will truncate at: a classifier's
 * trained `bertft.max_length` as predict reads it, else the folder's own bound, else the position
 * table (Hugging Face often stores 1e30, with which transformers.js would not truncate at all and
 * rows past the position table would fail in Gather).
 */
function exportMaxLength(modelDir: string, config: BertConfig, classifierMaxLength: number | undefined): number {
  return classifierMaxLength ?? modelMaxLength(modelDir, usablePositions(config)) ?? usablePositions(config);
}

async function writeTokenizerFiles(modelDir: string, outDir: string, maxLength: number): Promise<string[]> {
  const written: string[] = [];
  for (const f of TOKENIZER_FILES) {
    if (f === 'tokenizer_config.json' || !existsSync(join(modelDir, f))) continue;
    await copyFile(join(modelDir, f), join(outDir, f));
    written.push(f);
  }
  if (!written.includes('tokenizer.json')) {
    // transformers.js reads only tokenizer.json: build it from vocab.txt with the same settings bertft uses.
    const { tokenizer } = await loadTokenizer(modelDir, 'vocab.txt');
    tokenizer.save(join(outDir, 'tokenizer.json'));
    written.push('tokenizer.json');
  }
  await writeFile(join(outDir, 'tokenizer_config.json'), tokenizerConfigText(modelDir, maxLength));
  written.push('tokenizer_config.json');
  return written;
}

function exportedConfig(raw: RawConfig, config: BertConfig, task: ExportTask, quantized: boolean): RawConfig {
  const out: RawConfig = { ...raw };
  // The family's bare encoder class: BertModel, RobertaModel, XLMRobertaModel, ElectraModel, DistilBertModel, AlbertModel.
  if (task === 'feature-extraction') out.architectures = [familyOf(config).sequenceClassifier.replace(/ForSequenceClassification$/, 'Model')];
  // transformers.js picks the model class from the task; Python reads architectures.
  if (task === 'fill-mask') out.architectures = ['BertForMaskedLM'];
  // token-classification keeps config.json as it is: `<Family>ForTokenClassification`, model_type
  // (transformers.js's AutoModelForTokenClassification picks the class by it) and id2label (the
  // pipeline's `entity` names); the bertft section (max_length, stride) travels along for bertft.
  // Browsers default to dtype q8 (model_quantized.onnx); point them at fp32 when that file is absent.
  if (!quantized) out['transformers.js_config'] = { ...(raw['transformers.js_config'] as object | undefined), dtype: 'fp32' };
  return out;
}

interface LoadedFolder {
  config: BertConfig;
  raw: RawConfig;
  loaded: Awaited<ReturnType<typeof loadBertWeights>>;
  pooling?: Pooling;
}

interface TracedTask {
  graph: Graph;
  /** Pooling baked into a classifier graph. */
  pooling?: Pooling;
  /** The trained length of a classifier (what transformers.js will truncate at). */
  classifierMaxLength?: number;
}

/** The inference graph of one export task, after checking the folder has the head it needs. */
function traceTask(modelDir: string, task: ExportTask, { config, raw, loaded, pooling }: LoadedFolder): TracedTask {
  if (task === 'text-classification') {
    if (!loaded.classifier) {
      const hint = loaded.tokenClassifier ? 'it is a token classifier: export it as token-classification' : 'export it as feature-extraction or train it first';
      throw new UsageError(`${modelDir} has no classification head (${CLASSIFIER_WEIGHT}); ${hint}`);
    }
    const settings = readClassifierConfig(raw, { config, hasPooler: loaded.hasPooler, numLabels: classifierWidth(loaded.classifier)! });
    const used = pooling ?? settings.pooling;
    return { graph: traceClassifier(config, loaded.weights, loaded.classifier, used), pooling: used, classifierMaxLength: settings.maxLength };
  }
  if (task === 'token-classification') {
    if (!loaded.tokenClassifier) {
      throw new UsageError(
        `${modelDir} is not a token classifier (config.json's architectures name no …ForTokenClassification); train one with bertft train --task token-classification`,
      );
    }
    // transformers.js has no windows: it cuts at model_max_length, here the trained window (bertft.max_length).
    const settings = readTokenClassifierConfig(raw, config, classifierWidth(loaded.tokenClassifier)!);
    return { graph: traceTokenClassifier(config, loaded.weights, loaded.tokenClassifier), classifierMaxLength: settings.maxLength };
  }
  if (task === 'fill-mask') {
    checkMaskedLmFamily(config, modelDir, 'a fill-mask export');
    if (!loaded.mlmHead) {
      throw new UsageError(`${modelDir} has no masked-LM head (cls.predictions.*); export it as feature-extraction, or pre-train it with bertft pretrain`);
    }
    return { graph: traceMaskedLm(config, loaded.weights, resolveMaskedLmHead(loaded.mlmHead, loaded.weights, raw, config), { output: 'sequence' }) };
  }
  return { graph: traceEncoder(config, loaded.weights, { output: 'last_hidden_state' }) };
}

/**
 * Exports a Hugging Face BERT folder (a bertft training or pre-training output, or any BertModel /
 * BertForSequenceClassification / BertForMaskedLM / BertForPreTraining checkpoint) to an ONNX
 * folder for transformers.js. Written to a
 * temporary sibling folder first and swapped into place, so `outDir` is never half-written.
 */
export async function exportModel(modelDir: string, outDir: string, options: ExportOptions = {}): Promise<ExportResult> {
  const target = resolve(outDir);
  if (resolve(modelDir) === target) throw new UsageError('the export folder must differ from the model folder');
  if (existsSync(target) && !options.overwrite) throw new UsageError(`${target} already exists; choose another folder or allow overwriting`);
  if (options.task !== undefined && !EXPORT_TASKS.includes(options.task)) {
    throw new UsageError(`unknown export task "${options.task}"; choose one of ${EXPORT_TASKS.join(', ')}`);
  }
  const { config, raw } = await readBertConfig(modelDir);
  const tokenHead = isTokenClassifierConfig(raw);
  const loaded = await loadBertWeights(modelDir, config, { tokenHead });
  const task =
    options.task ?? (tokenHead ? 'token-classification' : loaded.classifier ? 'text-classification' : loaded.mlmHead ? 'fill-mask' : 'feature-extraction');
  const { graph: traced, pooling, classifierMaxLength } = traceTask(modelDir, task, { config, raw, loaded, pooling: options.pooling });

  // transformers.js cuts long texts without their closing [SEP]; the graph puts it back (sep-guard.ts).
  // A per-token output is reported for every piece transformers.js kept, so there the [SEP] is
  // appended instead of written over the last piece, and transformers.js is told to cut one piece
  // earlier (appendSepToCutRows says why).
  const tokenizer = await BertTokenizer.fromDir(modelDir);
  const perToken = task === 'token-classification';
  const graph = perToken ? appendSepToCutRows(traced, tokenizer.sepId, tokenizer.padId, 'logits') : endRowsWithSep(traced, tokenizer.sepId);
  const maxLength = exportMaxLength(modelDir, config, classifierMaxLength) - (perToken ? 1 : 0);

  await mkdir(dirname(target), { recursive: true });
  const files: string[] = [];
  await replaceDirAtomic(target, async (tmp) => {
    await mkdir(join(tmp, 'onnx'), { recursive: true });
    files.push(...(await writeTokenizerFiles(modelDir, tmp, maxLength)));
    await writeFile(join(tmp, 'config.json'), `${JSON.stringify(exportedConfig(raw, config, task, options.quantize === true), null, 2)}\n`);
    files.push('config.json');
    const doc = `bertft export of ${basename(resolve(modelDir))} for ${task}${pooling ? ` (pooling ${pooling})` : ''}`;
    await writeFile(join(tmp, 'onnx', 'model.onnx'), toModelBytes(graph, { docString: doc }));
    files.push('onnx/model.onnx');
    if (options.quantize) {
      const quantized = quantizeGraph(graph);
      await writeFile(join(tmp, 'onnx', 'model_quantized.onnx'), toModelBytes(quantized.graph, { docString: `${doc}, int8 weights` }));
      files.push('onnx/model_quantized.onnx');
    }
  });
  return { outDir: target, task, pooling, files };
}

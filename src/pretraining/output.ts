import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { rawFromBertConfig, writeConfig, writeFileAtomic, writeSafetensors } from '../checkpoint/index.js';
import { writeTokenizerConfig } from '../checkpoint/tokenizer-config.js';
import { checkMaskedLmFamily, isMaskedLmParam } from '../heads/masked-lm.js';
import { familyOf, hfMaskedLmName, hfName } from '../models/bert/family.js';
import type { BertConfig, RawConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';
import { pretrainingLossChart, renderPretrainingReport } from '../report/pretraining.js';
import type { PretrainingHyperparameters, PretrainingResults } from '../report/types.js';
import type { Corpus } from './corpus.js';
import type { EvalPoint, PretrainState } from './objective.js';

/** What a pre-trained folder is written from: the model's config and tokenizer, the corpora and the run's settings. */
export interface PretrainedOutput {
  config: BertConfig;
  raw: RawConfig;
  tokenizerDir: string;
  source: string;
  corpus: Corpus;
  evalCorpus?: Corpus;
  text: string[];
  evalText?: string[];
  maxLength: number;
  lineByLine: boolean;
  batchSize: number;
  /** `hyperparameters` of pretraining_results.json. */
  hyperparameters: PretrainingHyperparameters;
  minutes?: number;
}

/** What pretraining_results.json holds. */
export function pretrainingResults(out: PretrainedOutput, state: PretrainState, finalEval?: EvalPoint): PretrainingResults {
  const c = out.config;
  return {
    source: out.source,
    architecture: { layers: c.numHiddenLayers, hidden: c.hiddenSize, heads: c.numAttentionHeads, intermediate: c.intermediateSize, vocab: c.vocabSize },
    corpus: {
      files: out.text,
      documents: out.corpus.documents,
      word_pieces: out.corpus.wordPieces,
      sequences: out.corpus.size,
      max_length: out.maxLength,
      packed: !out.lineByLine,
    },
    eval_corpus: out.evalCorpus ? { files: out.evalText, sequences: out.evalCorpus.size } : undefined,
    hyperparameters: out.hyperparameters,
    steps: state.step,
    tokens_seen: state.tokens,
    epochs: (state.step * out.batchSize) / out.corpus.size,
    elapsed_s: Math.round(state.elapsedMs / 1000),
    final_train_loss: state.history.at(-1)?.loss,
    final_eval: finalEval,
    history: state.history,
    evals: state.evals,
    snapshots: state.snapshots,
  };
}

/**
 * Writes a Hugging Face `<Family>ForMaskedLM` folder: encoder weights by the family's names under
 * its prefix (`bert.`, `roberta.`, …), the masked-LM head by the family's names (`cls.predictions.*`,
 * `lm_head.*`, …, family.ts), config, tokenizer files, pretraining_results.json, and in the run's own
 * output folder (not a snapshot) the report and loss chart.
 */
export async function writePretrainedFolder(
  dir: string,
  isRunOutput: boolean,
  weights: Map<string, HostTensor>,
  out: PretrainedOutput,
  state: PretrainState,
  finalEval?: EvalPoint,
): Promise<void> {
  const family = familyOf(out.config);
  const architecture = checkMaskedLmFamily(out.config).architecture;
  const named = new Map<string, HostTensor>();
  for (const [name, t] of weights) named.set(isMaskedLmParam(name) ? hfMaskedLmName(family, name) : hfName(family, name), t);
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, 'model.safetensors'), named);
  const raw = rawFromBertConfig(out.config, out.raw);
  await writeConfig(dir, { ...raw, architectures: [architecture], model_type: family.modelType, tie_word_embeddings: true });
  const present = new Set(await readdir(out.tokenizerDir));
  for (const f of ['tokenizer.json', 'vocab.txt', 'special_tokens_map.json']) {
    if (present.has(f) && out.tokenizerDir !== dir) await copyFile(join(out.tokenizerDir, f), join(dir, f));
  }
  // The pre-training length as model_max_length, so transformers.js and Python truncate where bertft did (checkpoint/tokenizer-config.ts).
  await writeTokenizerConfig(out.tokenizerDir, dir, out.maxLength);
  const r = pretrainingResults(out, state, finalEval);
  await writeFileAtomic(join(dir, 'pretraining_results.json'), `${JSON.stringify(r, null, 2)}\n`);
  if (isRunOutput) {
    await writeFileAtomic(join(dir, 'report.html'), renderPretrainingReport(r));
    await writeFileAtomic(join(dir, 'loss.svg'), pretrainingLossChart(r));
  }
}

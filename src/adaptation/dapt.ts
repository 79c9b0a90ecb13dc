import { join } from 'node:path';
import { pretrain } from '../pretraining/pretrain.js';
import { DOMAIN_ADAPTATION_DEFAULTS } from './defaults.js';

/**
 * Step one of `--domain-adaptation dapt` (Gururangan et al. 2020, "Don't Stop Pretraining"):
 * masked-LM pre-training of the model continues on the unlabelled target text, one text a sequence,
 * into `<output>/dapt`; fine-tuning on the labelled source text then starts from that folder. It is
 * `bertft pretrain --model M --text FILE --line-by-line` with short defaults, so the two-command
 * recipe (docs/domain-adaptation.md) gives the same model.
 */
export interface DaptOptions {
  model: string;
  targetFiles: string[];
  textColumn?: string;
  /** The fine-tuning run's folder; the adapted model goes to `<output>/dapt`. */
  output: string;
  maxLength: number;
  seed: number;
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  threads?: number;
  log?: (line: string) => void;
}

/** What training_results.json records about the pre-training step. */
export interface DaptRecord {
  model_dir: string;
  base_model: string;
  steps: number;
  batch_size: number;
  max_length: number;
  tokens_seen: number;
  final_loss: number;
  seconds: number;
}

export async function continuePretraining(o: DaptOptions): Promise<DaptRecord> {
  const d = DOMAIN_ADAPTATION_DEFAULTS;
  const output = join(o.output, 'dapt');
  const steps = o.steps ?? d.daptSteps;
  const batchSize = o.batchSize ?? d.daptBatchSize;
  const t0 = Date.now();
  const run = await pretrain({
    model: o.model,
    text: o.targetFiles,
    textColumn: o.textColumn,
    output,
    lineByLine: true,
    maxLength: o.maxLength,
    maxSteps: steps,
    batchSize,
    learningRate: o.learningRate,
    seed: o.seed,
    threads: o.threads,
    // A fresh run each time: the fine-tuning fingerprint does not cover a resumed pre-training.
    resume: false,
    log: o.log && ((l) => o.log!(`[dapt] ${l}`)),
  });
  return {
    model_dir: run.output,
    base_model: o.model,
    steps: run.state.step,
    batch_size: batchSize,
    max_length: o.maxLength,
    tokens_seen: run.state.tokens,
    final_loss: run.finalLoss,
    seconds: (Date.now() - t0) / 1000,
  };
}

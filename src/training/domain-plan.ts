/**
 * `--domain-adaptation` in a fine-tuning run: the plan checked before any work, the target text and
 * DAPT's continued pre-training before fine-tuning, and what training_results.json records.
 */
import { resolve } from 'node:path';
import { continuePretraining, type DaptRecord } from '../adaptation/dapt.js';
import { parseDomainAdaptation, type DomainAdaptationPlan } from '../adaptation/methods.js';
import { readTargetText } from '../adaptation/target-text.js';
import { UsageError } from '../errors.js';
import { loadPretrained, type PretrainedFolder } from '../pretrained.js';
import type { DomainAdaptationRecord } from '../report/types.js';
import { DOMAIN_ADAPTATION_DEFAULTS } from '../adaptation/defaults.js';
import type { FineTuneOptions } from './fine-tune.js';
import type { Strategy } from './strategy.js';
import type { HistoryEntry } from './trainer.js';

/** The target domain of a run: the plan, the target text read and checked, and DAPT's record when it ran. */
export interface TargetDomain {
  plan: DomainAdaptationPlan;
  files: string[];
  texts: string[];
  unkRate: number;
  dapt?: DaptRecord;
}

/** The domain-adaptation plan of the options, checked before any work (unknown method, missing target text, engine). */
export function domainPlan(options: FineTuneOptions, strategy: Strategy): DomainAdaptationPlan | undefined {
  if (options.domainAdaptation === undefined) {
    if (options.targetText !== undefined) throw new UsageError('--target-text is used only with --domain-adaptation dann|coral|dapt|dapt+dann|dapt+coral');
    return undefined;
  }
  const plan = parseDomainAdaptation(options.domainAdaptation);
  if ([options.targetText ?? []].flat().length === 0)
    throw new UsageError(`--domain-adaptation ${plan.method} needs --target-text FILE: the unlabelled text of the target domain, one text a line`);
  if (plan.objective === 'dann' && strategy.kind === 'frozen') throw frozenDannError();
  if (plan.objective && options.engine === 'tfjs')
    throw new UsageError(`--domain-adaptation ${plan.method} needs the onnxruntime engine; the TF.js engine has no gradient-reversal or CORAL objective`);
  for (const [flag, v] of [
    ['--domain-lambda', options.domainLambda],
    ['--coral-weight', options.coralWeight],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new UsageError(`${flag} must be a number ≥ 0, got ${v}`);
  }
  return plan;
}

export function frozenDannError(): UsageError {
  return new UsageError(
    '--domain-adaptation dann trains the encoder against a domain discriminator, but --strategy frozen never changes the encoder; use full, top-k:N or gradual, or coral (which maps frozen features)',
  );
}

/**
 * Reads and checks the target text before any training; with DAPT, continues pre-training on it
 * and returns the adapted model, which fine-tuning then starts from (src/adaptation/).
 */
export async function prepareTargetDomain(
  plan: DomainAdaptationPlan,
  pretrained: PretrainedFolder,
  options: FineTuneOptions,
  run: { maxLength: number; seed: number; log: (m: string) => void },
): Promise<{ domain: TargetDomain; pretrained: PretrainedFolder }> {
  const files = [options.targetText ?? []].flat();
  const target = await readTargetText(files, pretrained.tokenizer, { textColumn: options.targetTextColumn });
  run.log(
    `--domain-adaptation ${plan.method}: ${target.texts.length} target texts from ${files.join(', ')} ([UNK] rate ${(target.unkRate * 100).toFixed(2)}%)`,
  );
  const domain: TargetDomain = { plan, files, texts: target.texts, unkRate: target.unkRate };
  if (!plan.dapt) return { domain, pretrained };
  const dapt = await continuePretraining({
    model: pretrained.dir,
    targetFiles: files,
    textColumn: options.targetTextColumn,
    output: resolve(options.output),
    maxLength: run.maxLength,
    seed: run.seed,
    steps: options.daptSteps,
    log: run.log,
  });
  run.log(
    `dapt: ${dapt.steps} masked-LM steps on the target text (final loss ${dapt.final_loss.toFixed(3)}, ${dapt.seconds.toFixed(0)} s); fine-tuning starts from ${dapt.model_dir}`,
  );
  return { domain: { ...domain, dapt }, pretrained: await loadPretrained(dapt.model_dir, { offline: true }) };
}

/** DANN's largest λ and the CORAL weight of the options (defaults in DOMAIN_ADAPTATION_DEFAULTS). */
export function domainWeights(options: FineTuneOptions): { lambdaMax: number; coralWeight: number } {
  return {
    lambdaMax: options.domainLambda ?? DOMAIN_ADAPTATION_DEFAULTS.lambdaMax,
    coralWeight: options.coralWeight ?? DOMAIN_ADAPTATION_DEFAULTS.coralWeight,
  };
}

/** What training_results.json records about domain adaptation: the method, the target text and each step. */
export function domainRecord(
  domain: TargetDomain,
  weights: { lambdaMax: number; coralWeight: number },
  strategy: Strategy,
  history: HistoryEntry[],
): DomainAdaptationRecord {
  const { plan, dapt } = domain;
  const last = history.at(-1);
  return {
    method: plan.method,
    target_text: domain.files,
    target_texts: domain.texts.length,
    target_unk_rate: domain.unkRate,
    steps: [
      ...(dapt ? [{ step: 'continued masked-LM pre-training on the target text', ...dapt }] : []),
      {
        step: 'fine-tuning on the labelled source text',
        objective: plan.objective ?? 'classification only',
        ...(plan.objective === 'dann'
          ? { lambda_max: weights.lambdaMax, lambda_schedule: '2/(1+exp(-10p))-1', final_domain_accuracy: last?.domain_accuracy ?? null }
          : {}),
        ...(plan.objective === 'coral'
          ? strategy.kind === 'frozen'
            ? { coral: 'source features whitened and re-coloured to the target covariance' }
            : { coral_weight: weights.coralWeight, final_coral_loss: last?.coral_loss ?? null }
          : {}),
      },
    ],
  };
}

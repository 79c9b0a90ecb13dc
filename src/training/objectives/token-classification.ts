import type { TrainBatch } from '../../engine/types.js';
import { flatTargetIndex } from '../../heads/masked-lm.js';
import { normalisedRowWeights } from '../../heads/token-classification.js';
import type { EntityMode } from '../../metrics/entities.js';
import { evaluateWindows, type TokenEvalTargets } from '../token-evaluation.js';
import type { EvaluationReport } from '../evaluation.js';
import { collate, type TokenizedSet } from '../tokenized.js';
import { ClassificationObjective } from './classification.js';

/**
 * Token classification on the one training loop: the same batches by length (of windows instead of
 * texts), schedule, strategy, evaluation, best-model keeping and early stopping as sequence
 * classification; a step scores the labelled tokens of its windows, and an evaluation the entities
 * of whole sentences (metrics/entities.ts), each word predicted from the first piece of the word
 * in the window that owns it.
 */

/** The token labels of a set of windows, and how an evaluation maps their predictions back to sentences. */
export interface TokenTargets {
  /** Label id per token of each training window, IGNORED_LABEL (-100) where the loss ignores it. */
  train: Int32Array[];
  eval?: TokenEvalTargets;
  /** Entity matching: conlleval's default, or seqeval's strict IOB2. */
  mode: EntityMode;
}

/** The labelled tokens of the chosen windows as a training batch (targets: class weights when trained with them). */
export function labelledBatch(
  set: TokenizedSet,
  labels: readonly Int32Array[],
  indices: readonly number[],
  numLabels: number,
  classWeights?: Float32Array,
): TrainBatch {
  const tokens = collate(set, indices);
  const positions: number[] = [];
  const targets: number[] = [];
  indices.forEach((i, row) => {
    const l = labels[i]!;
    for (let s = 0; s < l.length; s++) {
      if (l[s]! < 0) continue;
      positions.push(row * tokens.seqLength + s);
      targets.push(l[s]!);
    }
  });
  const masked = { positions: Int32Array.from(positions), labels: Int32Array.from(targets), targetIndex: flatTargetIndex(targets, numLabels) };
  return { tokens, targets: classWeights ? normalisedRowWeights(targets, classWeights) : new Float32Array(0), masked };
}

export class TokenClassificationObjective extends ClassificationObjective {
  private get targets(): TokenTargets {
    const targets = this.s.data.tokenTargets;
    if (!targets) throw new Error("token classification needs the windows' token labels (TrainerData.tokenTargets)");
    return targets;
  }

  override batches(step: number): TrainBatch[] {
    const { data, settings } = this.s;
    return this.microRows(step).map((idx) => labelledBatch(data.train, this.targets.train, idx, settings.numOutputs, settings.classWeights));
  }

  /** Entity scores of the evaluation sentences and the loss over the evaluation windows' labelled tokens. */
  override async report(): Promise<EvaluationReport> {
    const { settings: s, data, engine, callbacks } = this.s;
    const report = await evaluateWindows({
      logits: (batch) => engine.logits(batch),
      windows: data.eval!,
      targets: this.targets.eval!,
      labels: s.labels,
      mode: this.targets.mode,
      batchSize: s.evalBatchSize,
      classWeights: s.classWeights,
      onProgress: (done, total) => callbacks.onEvaluateProgress?.(done, total),
    });
    return { ...report };
  }
}

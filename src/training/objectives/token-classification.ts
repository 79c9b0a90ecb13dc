import type { TrainBatch } from '../../engine/types.js';
import { flatTargetIndex } from '../../heads/masked-lm.js';
import { normalisedRowWeights, tokenHostLoss } from '../../heads/token-classification.js';
import { entityReport, type EntityMode } from '../../metrics/entities.js';
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

export interface TokenEvalTargets {
  /** Label id per token of each evaluation window (-100 ignored), for the evaluation loss. */
  labels: Int32Array[];
  /**
   * Per token of each evaluation window: the index of the word it predicts in the flat list of
   * every sentence's words, or -1 (specials, continuation pieces, words another window owns).
   */
  slots: Int32Array[];
  /** The gold IOB2 tags of each sentence, in order; their concatenation is the flat word list. */
  gold: string[][];
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
    const evalSet = data.eval!;
    const targets = this.targets.eval!;
    const C = s.numOutputs;
    // Every word starts as label 0 (O, labels are sorted with O first) until its owning window predicts it.
    const predicted = new Int32Array(targets.gold.reduce((a, g) => a + g.length, 0));
    const lossLogits: Float32Array[] = [];
    const lossLabels: number[] = [];
    const n = evalSet.lengths.length;
    for (let start = 0; start < n; start += s.evalBatchSize) {
      const idx = Array.from({ length: Math.min(s.evalBatchSize, n - start) }, (_, k) => start + k);
      const batch = collate(evalSet, idx);
      const logits = await engine.logits(batch);
      idx.forEach((w, row) => {
        const labels = targets.labels[w]!;
        const slots = targets.slots[w]!;
        for (let t = 0; t < labels.length; t++) {
          const off = (row * batch.seqLength + t) * C;
          if (labels[t]! >= 0) {
            lossLogits.push(logits.slice(off, off + C));
            lossLabels.push(labels[t]!);
          }
          if (slots[t]! >= 0) predicted[slots[t]!] = argmax(logits, off, C);
        }
      });
      callbacks.onEvaluateProgress?.(start + idx.length, n);
    }
    const evalLoss = tokenHostLoss(concat(lossLogits, C), lossLabels, C, s.classWeights);
    let k = 0;
    const pred = targets.gold.map((sentence) => sentence.map(() => s.labels[predicted[k++]!]!));
    return { ...entityReport(targets.gold, pred, { mode: this.targets.mode }), eval_loss: evalLoss };
  }
}

function argmax(values: Float32Array, offset: number, width: number): number {
  let best = 0;
  for (let c = 1; c < width; c++) if (values[offset + c]! > values[offset + best]!) best = c;
  return best;
}

function concat(rows: readonly Float32Array[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(r, i * width));
  return out;
}

/**
 * Entity scores of windowed sentences from any forward pass: the trainer's evaluation (through the
 * engine) and `TokenClassifier.evaluate` (through an inference runner) both score here, so a
 * model's validation F1 during training and `bertft evaluate` on the same file agree.
 */
import { tokenHostLoss } from '../heads/token-classification.js';
import { entityReport, type EntityMode, type EntityReport } from '../metrics/entities.js';
import type { TokenBatch } from '../tokenization/index.js';
import { collate, type TokenizedSet } from './tokenized.js';

/** The token labels of evaluation windows and how their predictions map back to sentences. */
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

export interface WindowEvaluation {
  /** Logits [B, S, C] of a padded batch of windows. */
  logits(batch: TokenBatch): Promise<Float32Array>;
  windows: TokenizedSet;
  targets: TokenEvalTargets;
  /** The tags, `O` (id 0) first: a word no window predicts reads as `O`. */
  labels: readonly string[];
  mode: EntityMode;
  batchSize: number;
  classWeights?: ArrayLike<number>;
  onProgress?(done: number, total: number): void;
}

/** Entity report of the sentences, with the loss over the windows' labelled tokens (class-weighted as trained). */
export async function evaluateWindows(e: WindowEvaluation): Promise<EntityReport & { eval_loss: number }> {
  const C = e.labels.length;
  const predicted = new Int32Array(e.targets.gold.reduce((a, g) => a + g.length, 0));
  const lossLogits: Float32Array[] = [];
  const lossLabels: number[] = [];
  const n = e.windows.lengths.length;
  for (let start = 0; start < n; start += e.batchSize) {
    const idx = Array.from({ length: Math.min(e.batchSize, n - start) }, (_, k) => start + k);
    const batch = collate(e.windows, idx);
    const logits = await e.logits(batch);
    idx.forEach((w, row) => {
      const labels = e.targets.labels[w]!;
      const slots = e.targets.slots[w]!;
      for (let t = 0; t < labels.length; t++) {
        const off = (row * batch.seqLength + t) * C;
        if (labels[t]! >= 0) {
          lossLogits.push(logits.slice(off, off + C));
          lossLabels.push(labels[t]!);
        }
        if (slots[t]! >= 0) predicted[slots[t]!] = argmax(logits, off, C);
      }
    });
    e.onProgress?.(start + idx.length, n);
  }
  const evalLoss = tokenHostLoss(concat(lossLogits, C), lossLabels, C, e.classWeights);
  let k = 0;
  const pred = e.targets.gold.map((sentence) => sentence.map(() => e.labels[predicted[k++]!]!));
  return { ...entityReport(e.targets.gold, pred, { mode: e.mode }), eval_loss: evalLoss };
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

import { Rng } from '../data/random.js';
import type { TrainBatch } from '../engine/types.js';
import { collate, type TokenizedSet } from './tokenized.js';

/**
 * Mixed batches for domain adaptation: each micro-batch of labelled source rows is followed by as
 * many unlabelled target rows (at least 2 of each, which CORAL's unbiased covariances need), so the
 * discriminator sees balanced domains. Target rows are drawn without replacement from per-pass
 * permutations fixed by the seed, and the n-th micro-batch of the run always gets the same rows, so
 * a resumed run continues identically.
 */
export class DomainBatches {
  private readonly all: TokenizedSet;
  private readonly sourceSize: number;
  private order?: { pass: number; rows: Uint32Array };

  constructor(
    source: TokenizedSet,
    private readonly target: TokenizedSet,
    private readonly seed: number,
  ) {
    if (target.lengths.length < 2) throw new Error('domain adaptation needs at least 2 target texts');
    this.sourceSize = source.lengths.length;
    this.all = {
      ids: [...source.ids, ...target.ids],
      typeIds: [...source.typeIds, ...target.typeIds],
      lengths: [...source.lengths, ...target.lengths],
      padId: source.padId,
    };
  }

  /**
   * The mixed batch for source rows `rows` (with their target rows `targets`), the
   * `microBatch`-th of the run. A single source row (an epoch's last, short batch) is repeated so
   * the source side has 2 rows; its class loss is unchanged (a mean over identical rows).
   */
  batch(rows: readonly number[], targets: Float32Array, microBatch: number): TrainBatch {
    const source = rows.length === 1 ? [rows[0]!, rows[0]!] : [...rows];
    const sourceTargets = rows.length === 1 ? Float32Array.from([...targets, ...targets]) : targets;
    const count = Math.max(2, source.length);
    const picked: number[] = [];
    for (let k = 0; k < count; k++) picked.push(this.sourceSize + this.targetRow(microBatch * count + k));
    return { tokens: collate(this.all, [...source, ...picked]), targets: sourceTargets, sourceCount: source.length };
  }

  /** The `position`-th target row of the run: passes over the target set in seeded random orders. */
  private targetRow(position: number): number {
    const n = this.target.lengths.length;
    const pass = Math.floor(position / n);
    if (this.order?.pass !== pass) {
      const rows = new Uint32Array(n).map((_, i) => i);
      const rng = new Rng((this.seed * 1000003 + 7919 * pass + 17) >>> 0);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [rows[i], rows[j]] = [rows[j]!, rows[i]!];
      }
      this.order = { pass, rows };
    }
    return this.order.rows[position % n]!;
  }
}

import type { DomainStepStats, TrainBatch } from '../../engine/types.js';
import { dannLambda } from '../../heads/domain.js';
import type { StepDone } from '../../trainer/loop.js';
import { DomainBatches } from '../domain-batches.js';
import { gatherRows } from '../tokenized.js';
import type { HistoryEntry, StepLog, TrainerState } from '../trainer.js';
import { ClassificationObjective, type ClassificationSetup } from './classification.js';

/**
 * Classification on labelled source text plus a domain objective on unlabelled target text
 * (src/adaptation/): DANN's discriminator behind gradient reversal, or Deep CORAL's covariance
 * term, whichever the engine was built with. Each micro-batch mixes in as many target rows
 * (domain-batches.ts); λ follows DANN's schedule over the run's progress.
 */
export class DomainObjective extends ClassificationObjective {
  private readonly mixed: DomainBatches;
  private lambda = 0;

  constructor(setup: ClassificationSetup) {
    super(setup);
    this.mixed = new DomainBatches(setup.data.train, setup.data.target!, setup.settings.seed);
  }

  override batches(step: number): TrainBatch[] {
    const { data, settings } = this.s;
    return this.microRows(step).map((idx, j) =>
      this.mixed.batch(idx, gatherRows(data.trainTargets, settings.numOutputs, idx), step * settings.gradientAccumulation + j),
    );
  }

  override stepOptions(step: number): { dropoutSeed: number; domainLambda: number } {
    this.lambda = dannLambda(step / this.total, this.s.settings.domainLambdaMax ?? 1);
    return { ...super.stepOptions(step), domainLambda: this.lambda };
  }

  protected override stepLog(done: StepDone): StepLog {
    const log = super.stepLog(done);
    trackDomain(this.s.state, log, this.s.engine.domainStats?.(), this.lambda);
    return log;
  }

  protected override historyEntry(epoch: number, lr: number, elapsedS: number): HistoryEntry {
    const entry = super.historyEntry(epoch, lr, elapsedS);
    const { state } = this.s;
    const pd = state.pendingDomain;
    if (pd && pd.steps > 0) {
      // λ belongs to DANN (the discriminator's stats); CORAL reports its loss term.
      if (pd.count > 0) Object.assign(entry, { domain_loss: pd.loss / pd.steps, domain_accuracy: pd.correct / pd.count, domain_lambda: pd.lambda / pd.steps });
      if (pd.coral > 0) entry.coral_loss = pd.coral / pd.steps;
      state.pendingDomain = { loss: 0, correct: 0, count: 0, lambda: 0, coral: 0, steps: 0 };
    }
    return entry;
  }
}

/** Adds a step's domain objectives to its log line and to the sums reported at the next evaluation. */
function trackDomain(state: TrainerState, log: StepLog, stats: DomainStepStats | undefined, lambda: number): void {
  const pd = (state.pendingDomain ??= { loss: 0, correct: 0, count: 0, lambda: 0, coral: 0, steps: 0 });
  pd.steps += 1;
  pd.lambda += lambda;
  if (stats?.domainCount) {
    log.domain_accuracy = stats.domainCorrect! / stats.domainCount;
    log.domain_lambda = lambda;
    pd.loss += stats.domainLoss ?? 0;
    pd.correct += stats.domainCorrect!;
    pd.count += stats.domainCount;
  }
  if (stats?.coralLoss !== undefined) {
    log.coral_loss = stats.coralLoss;
    pd.coral += stats.coralLoss;
  }
}

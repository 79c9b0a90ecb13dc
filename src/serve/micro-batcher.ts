export interface MicroBatcherOptions {
  /** Most texts handed to the model in one call. */
  maxBatchSize: number;
  /** How long the oldest queued text may wait for company before a partial batch runs. */
  maxWaitMs: number;
}

/** One caller's texts; a job larger than a batch is spread over several consecutive calls. */
interface Job<T, R> {
  texts: T[];
  /** Index of the first text not yet handed to the model. */
  next: number;
  results: R[];
  enqueuedAt: number;
  settled: boolean;
  resolve(predictions: R[]): void;
  reject(error: unknown): void;
}

/** A slice of one job that went into a model call. */
interface Part<T, R> {
  job: Job<T, R>;
  start: number;
  count: number;
}

/** Raised to a caller whose AbortSignal fired while its texts were still queued. */
export class BatchAbortedError extends Error {
  constructor() {
    super('the request was aborted before its texts ran');
    this.name = 'BatchAbortedError';
  }
}

/**
 * Collects texts (or items of type T, such as text pairs) from concurrent callers and runs them through `run` in batches of at most
 * maxBatchSize, waiting at most maxWaitMs for a batch to fill. Only one `run` is in flight at a
 * time because the engine is not re-entrant; texts that arrive meanwhile form the next batch.
 * Each caller gets exactly its own predictions, in order, or the error of a call that held them.
 */
export class MicroBatcher<T = string, R = unknown> {
  private readonly queue: Job<T, R>[] = [];
  private queued = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly run: (texts: T[]) => Promise<R[]>,
    private readonly options: MicroBatcherOptions,
  ) {}

  /** Texts waiting for a model call (not counting the call in flight). */
  get queuedTexts(): number {
    return this.queued;
  }

  /** True while a model call runs or texts are queued. */
  get busy(): boolean {
    return this.running || this.queue.length > 0;
  }

  /**
   * Queues texts and resolves with their predictions in order. If `signal` aborts while some of
   * the texts are still queued, those are dropped and the promise rejects with BatchAbortedError.
   */
  submit(texts: T[], signal?: AbortSignal): Promise<R[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise<R[]>((resolve, reject) => {
      const job: Job<T, R> = { texts, next: 0, results: new Array<R>(texts.length), enqueuedAt: performance.now(), settled: false, resolve, reject };
      if (signal) {
        if (signal.aborted) return reject(new BatchAbortedError());
        const onAbort = () => this.fail(job, new BatchAbortedError());
        signal.addEventListener('abort', onAbort, { once: true });
        const done = () => signal.removeEventListener('abort', onAbort);
        job.resolve = (p) => (done(), resolve(p));
        job.reject = (e) => (done(), reject(e));
      }
      this.queue.push(job);
      this.queued += texts.length;
      this.schedule();
    });
  }

  /** Resolves once no model call runs and nothing is queued. */
  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Runs a batch now if it is full or its oldest text waited long enough, else sets a timer. */
  private schedule(): void {
    if (this.running) return;
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    const waited = performance.now() - this.queue[0]!.enqueuedAt;
    if (this.queued >= this.options.maxBatchSize || waited >= this.options.maxWaitMs) {
      this.clearTimer();
      void this.runBatch();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, this.options.maxWaitMs - waited);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Takes up to maxBatchSize texts off the front of the queue, oldest caller first. */
  private takeBatch(): Part<T, R>[] {
    const parts: Part<T, R>[] = [];
    let room = this.options.maxBatchSize;
    while (room > 0 && this.queue.length > 0) {
      const job = this.queue[0]!;
      const count = Math.min(room, job.texts.length - job.next);
      parts.push({ job, start: job.next, count });
      job.next += count;
      room -= count;
      this.queued -= count;
      if (job.next === job.texts.length) this.queue.shift();
    }
    return parts;
  }

  private async runBatch(): Promise<void> {
    this.running = true;
    const parts = this.takeBatch();
    const texts = parts.flatMap((p) => p.job.texts.slice(p.start, p.start + p.count));
    try {
      const predictions = await this.run(texts);
      if (!Array.isArray(predictions) || predictions.length !== texts.length) {
        throw new Error(`the model returned ${Array.isArray(predictions) ? predictions.length : 'no'} predictions for ${texts.length} texts`);
      }
      let offset = 0;
      for (const { job, start, count } of parts) {
        for (let i = 0; i < count; i++) job.results[start + i] = predictions[offset + i]!;
        offset += count;
        // Batches run in queue order, so the part holding a job's last text completes it.
        if (start + count === job.texts.length && !job.settled) {
          job.settled = true;
          job.resolve(job.results);
        }
      }
    } catch (e) {
      for (const { job } of parts) this.fail(job, e);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  /** Rejects a job once and drops whatever of it is still queued. */
  private fail(job: Job<T, R>, error: unknown): void {
    if (job.settled) return;
    job.settled = true;
    const at = this.queue.indexOf(job);
    if (at >= 0) {
      this.queue.splice(at, 1);
      this.queued -= job.texts.length - job.next;
    }
    job.reject(error);
    if (!this.running) this.schedule();
  }
}

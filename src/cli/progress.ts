import cliProgress from 'cli-progress';

/** How a long job reports progress: a bar on a terminal, periodic plain lines otherwise, or nothing. */
export interface ProgressReporter {
  start(total: number, label: string): void;
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export interface ProgressOptions {
  quiet?: boolean;
  /** Seconds between plain log lines when stderr is not a terminal. */
  logEvery?: number;
}

function formatFields(fields: Record<string, string | number>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${v}`)
    .join(' ');
}

class BarReporter implements ProgressReporter {
  private bar = new cliProgress.SingleBar(
    {
      format: '{label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted} {extra}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  private startedAt = 0;

  start(total: number, label: string): void {
    this.startedAt = Date.now();
    this.bar.start(total, 0, { label, rate: '0', extra: '' });
  }

  update(done: number, fields: Record<string, string | number> = {}): void {
    const seconds = (Date.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? (done / seconds).toFixed(1) : '0';
    this.bar.update(done, { rate, extra: formatFields(fields) });
  }

  stop(): void {
    this.bar.stop();
  }
}

class LineReporter implements ProgressReporter {
  private label = '';
  private total = 0;
  private startedAt = 0;
  private lastLog = 0;
  constructor(private readonly everyMs: number) {}

  start(total: number, label: string): void {
    this.label = label;
    this.total = total;
    this.startedAt = this.lastLog = Date.now();
  }

  update(done: number, fields: Record<string, string | number> = {}): void {
    const now = Date.now();
    if (now - this.lastLog < this.everyMs && done < this.total) return;
    this.lastLog = now;
    const seconds = (now - this.startedAt) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? Math.round((this.total - done) / rate) : 0;
    const extra = formatFields(fields);
    process.stderr.write(`${this.label}: ${done}/${this.total} (${rate.toFixed(1)}/s, eta ${eta}s)${extra ? ` ${extra}` : ''}\n`);
  }

  stop(): void {}
}

class SilentReporter implements ProgressReporter {
  start(): void {}
  update(): void {}
  stop(): void {}
}

/** Picks the reporter for the current stderr. */
export function createProgress(options: ProgressOptions = {}): ProgressReporter {
  if (options.quiet) return new SilentReporter();
  if (process.stderr.isTTY) return new BarReporter();
  return new LineReporter((options.logEvery ?? 10) * 1000);
}

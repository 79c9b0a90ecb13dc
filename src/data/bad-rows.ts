/** Collecting rows that could not be read, and stopping on them when asked to. */
import { BertftError } from '../errors.js';
import type { BadRow, OnBadRow } from './types.js';

/** `file:line: reason`, the form every bad-row message takes. */
export function formatBadRow(row: BadRow): string {
  return `${row.file}:${row.line}: ${row.reason}`;
}

/**
 * Gathers a file's bad rows. Readers report rows as they meet them (not always in line order, since
 * the CSV parser reports broken records separately); `finish` sorts them and, with onBadRow 'error',
 * throws for the first one.
 */
export class BadRowCollector {
  private readonly rows: BadRow[] = [];

  constructor(
    private readonly file: string,
    private readonly onBadRow: OnBadRow,
  ) {}

  report(line: number, reason: string): void {
    this.rows.push({ file: this.file, line, reason });
  }

  get count(): number {
    return this.rows.length;
  }

  /** The bad rows in line order; throws a BertftError for the first one when onBadRow is 'error'. */
  finish(): BadRow[] {
    this.rows.sort((a, b) => a.line - b.line);
    const first = this.rows[0];
    if (first && this.onBadRow === 'error') {
      const more = this.rows.length > 1 ? `; ${this.rows.length - 1} more bad rows` : '';
      throw new BertftError(`${formatBadRow(first)}${more} (pass --on-bad-row skip to leave such rows out)`);
    }
    return this.rows;
  }
}

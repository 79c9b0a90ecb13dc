import { UsageError } from '../errors.js';
import type { BertConfig } from '../models/bert/config.js';
import { positionOffset } from '../models/bert/family.js';

/**
 * The one home of sequence-length bounds: every command that checks or defaults a maximum length
 * (train, evaluate, predict, embed, fill-mask, augment, pretrain, export) asks these.
 */

/** The longest sequence the position table takes: its rows past the family's offset (RoBERTa's `pad_token_id + 1`). */
export function usablePositions(config: BertConfig): number {
  return config.maxPositionEmbeddings - positionOffset(config);
}

/** `preferred` capped by the usable positions: a default max length that always fits the model. */
export function cappedMaxLength(config: BertConfig, preferred: number): number {
  return Math.min(preferred, usablePositions(config));
}

/** Throws a one-line UsageError when `maxLength` does not fit the model's usable positions. */
export function checkMaxLength(config: BertConfig, maxLength: number, flag = '--max-length'): number {
  const positions = usablePositions(config);
  if (maxLength > positions) throw new UsageError(`${flag} ${maxLength} exceeds the model's ${positions} usable positions`);
  return maxLength;
}

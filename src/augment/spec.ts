import { UsageError } from '../errors.js';

/**
 * The augmentation spec of `--augment` / `bertft augment --method`: `eda[:alpha,copies]` or
 * `mlm[:rate,copies]`. Both parameters are optional; omitted ones take the defaults below, which
 * live here and nowhere else.
 */

export type AugmentMethod = 'eda' | 'mlm';
export const AUGMENT_METHODS: readonly AugmentMethod[] = ['eda', 'mlm'];

export interface AugmentSpec {
  method: AugmentMethod;
  /**
   * eda: α, the share of a sentence's words each operation changes (Wei & Zou use one α for synonym
   * replacement, insertion and swap, and as the deletion probability). mlm: the share of words masked
   * and replaced.
   */
  rate: number;
  /** Augmented copies per training example (the original is kept besides them). */
  copies: number;
}

/**
 * Defaults. eda: α 0.1 with 4 copies, Wei & Zou's recommendation for training sets of 5,000 and more
 * (they suggest α 0.05 with 16 copies for 500); the default keeps a training epoch at 5× the
 * examples whatever the set size. mlm: 15% of the words, BERT's own masking rate, also 4 copies.
 */
export const AUGMENT_DEFAULTS: Record<AugmentMethod, { rate: number; copies: number }> = {
  eda: { rate: 0.1, copies: 4 },
  mlm: { rate: 0.15, copies: 4 },
};

/** More copies than this is almost certainly a typo (and a 100× larger training set). */
export const MAX_COPIES = 64;

/** The spec as text, every parameter written out (`eda:0.1,4`): what training_results.json records. */
export function formatAugmentSpec(spec: AugmentSpec): string {
  return `${spec.method}:${spec.rate},${spec.copies}`;
}

/**
 * Parses `eda`, `eda:0.05`, `eda:0.05,16`, `mlm:0.2,2`; `flag` names the option in errors.
 * @throws UsageError naming the flag and the bad part (unknown method, α outside (0, 1), copies not a whole number ≥ 1).
 */
export function parseAugmentSpec(text: string, flag = '--augment'): AugmentSpec {
  const s = text.trim();
  const colon = s.indexOf(':');
  const name = (colon < 0 ? s : s.slice(0, colon)).trim();
  if (!(AUGMENT_METHODS as readonly string[]).includes(name)) {
    throw new UsageError(
      `${flag}: unknown method "${name}"; use ${AUGMENT_METHODS.map((m) => `${m}[:${m === 'eda' ? 'alpha' : 'rate'},copies]`).join(' or ')}`,
    );
  }
  const method = name as AugmentMethod;
  const rateName = method === 'eda' ? 'alpha' : 'rate';
  const usage = `${flag} ${method}[:${rateName},copies], e.g. ${method}:${AUGMENT_DEFAULTS[method].rate},${AUGMENT_DEFAULTS[method].copies}`;
  const params =
    colon < 0
      ? []
      : s
          .slice(colon + 1)
          .split(',')
          .map((p) => p.trim());
  if (params.length > 2) throw new UsageError(`${usage}: got "${text}" (at most two parameters)`);
  let { rate, copies } = AUGMENT_DEFAULTS[method];
  if (params[0] !== undefined && params[0] !== '') {
    const r = Number(params[0]);
    if (!/^[0-9.eE+-]+$/.test(params[0]) || !Number.isFinite(r) || r <= 0 || r >= 1) {
      throw new UsageError(`${usage}: ${rateName} must be a number between 0 and 1 (exclusive), got "${params[0]}"`);
    }
    rate = r;
  } else if (colon >= 0 && params.length === 1) {
    throw new UsageError(`${usage}: got "${text}" (nothing after the colon)`);
  }
  if (params.length === 2) {
    const c = params[1]!;
    if (!/^\d+$/.test(c) || Number(c) < 1 || Number(c) > MAX_COPIES) {
      throw new UsageError(`${usage}: copies must be a whole number from 1 to ${MAX_COPIES}, got "${c}"`);
    }
    copies = Number(c);
  }
  return { method, rate, copies };
}

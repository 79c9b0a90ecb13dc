/**
 * What `bertft advise` (and `--strategy auto`) recommends beyond the transfer strategy, by quadrant of
 * the size × similarity matrix: augmentation, continued pre-training, and what to do when the texts
 * to classify come from another domain than the labelled ones. Each line recommends only what
 * measured well with the embedded model, and cites the measurement (docs/domain-adaptation.md,
 * docs/pretraining.md); where nothing was measured or nothing helped, it says so.
 */

export interface AdaptationAdvice {
  /** `--augment` spec worth trying, or null. */
  augment: string | null;
  /** Continue masked-LM pre-training on the user's own (unlabelled) text first. */
  continuedPretraining: boolean;
  /** One line each: augmentation, continued pre-training, a shifted target domain. */
  lines: string[];
}

// The measurements behind the lines, in one place (seeds 0–2, mean; bert-tiny-en).
const MEASURED = {
  eda: 'SST-2 500 / 1,000 sentences: eda 0.767 / 0.774 vs none 0.760 / 0.768 dev accuracy; mlm 0.758 / 0.742 (docs/domain-adaptation.md#augmentation)',
  edaLarge: 'all 67k SST-2 sentences: eda 0.822, mlm 0.817 vs none 0.831 (docs/domain-adaptation.md#augmentation)',
  dapt: 'SMS, continued pre-training on its training text: macro-F1 0.953 → 0.959 (docs/pretraining.md)',
  shift: 'SpamAssassin → SMS: dapt+dann +0.29 macro-F1 over source-only (dann +0.20, coral +0.04); IMDB → SST-2: +0.013 (docs/domain-adaptation.md)',
} as const;

export function recommendAdaptation(size: 'small' | 'large', similarity: 'similar' | 'different'): AdaptationAdvice {
  const small = size === 'small';
  const different = similarity === 'different';
  const lines: string[] = [];
  lines.push(
    small
      ? `augmentation: --augment eda (small gain that never hurt; masked-LM replacement did: ${MEASURED.eda})`
      : `augmentation: none (${MEASURED.edaLarge})`,
  );
  lines.push(
    different
      ? `continued pre-training first: bertft pretrain --model M --text your-texts.txt, then train on its output (${MEASURED.dapt})`
      : 'continued pre-training: not needed (the model already reads this text well)',
  );
  lines.push(`if the texts to classify come from another domain than the labels: --domain-adaptation dapt+dann --target-text FILE (${MEASURED.shift})`);
  return { augment: small ? 'eda' : null, continuedPretraining: different, lines };
}

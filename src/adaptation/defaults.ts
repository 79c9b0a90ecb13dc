/** The defaults of domain adaptation (`--domain-adaptation`, src/adaptation/), in one place. */
export const DOMAIN_ADAPTATION_DEFAULTS = {
  /** DANN: the largest gradient-reversal coefficient; λ rises to it along 2/(1+e^(−10p)) − 1 (Ganin & Lempitsky). */
  lambdaMax: 1,
  /**
   * Deep CORAL: weight of ||C_s − C_t||²_F / 4d² beside the class loss. The term is a quarter of the
   * mean squared difference of covariance entries, so it is tiny: about 6e-6 at the start of
   * bert-tiny-en on SpamAssassin → SMS, against a class loss of 0.6. Measured (docs/domain-adaptation.md,
   * seeds 0–2): 1e3 gains on both SpamAssassin → SMS (+0.037 macro-F1) and IMDB → SST-2 (+0.011);
   * 1e4 lets the term win over the class loss (all-ham on SMS, −0.07 on SST-2); 1e2 gains less (seed 0).
   */
  coralWeight: 1e3,
  /**
   * Frozen CORAL: covariances get this share of their mean eigenvalue added to the diagonal before
   * whitening, so directions with almost no variance are not blown up.
   */
  coralShrinkage: 0.01,
  /** DAPT: masked-LM steps on the target text (64 texts a step, one text a sequence) before fine-tuning. */
  daptSteps: 300,
  daptBatchSize: 64,
  /**
   * Target text whose word pieces are more than this share [UNK] is refused as the wrong language
   * for the tokenizer: English text scores 0.0000 with bert-tiny-en's vocabulary (SMS, SST-2, IMDB;
   * 2,000 texts each) and Chinese 0.64 (ChnSentiCorp, TNEWS); 10% leaves room for emoji and odd symbols.
   */
  maxUnkRate: 0.1,
  /** Texts tokenized for the [UNK] check (enough for a stable rate, quick on any file). */
  unkSample: 2000,
} as const;

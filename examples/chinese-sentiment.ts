/**
 * Chinese sentiment (ChnSentiCorp) with the bert-base-chinese vocabulary — a notebook-style script.
 *
 *   node --import tsx examples/chinese-sentiment.ts [--limit 2000] [--epochs 3]
 *
 * IMPORTANT: there are no pretrained Chinese BERT weights on this machine, so this script builds a
 * small, RANDOMLY INITIALISED BERT (BERT-Tiny shape) whose vocabulary is bert-base-chinese's, and
 * trains it from scratch. That shows the whole Chinese path (CJK tokenization, training, prediction)
 * but not transfer learning, and its accuracy is far below what a pretrained model reaches.
 * Real users start from the pretrained model on the Hugging Face Hub instead — no folder to build:
 *
 *   npx bertft train --model google-bert/bert-base-chinese --dataset chnsenticorp --data-dir ../shared/datasets -o out/zh
 *   // or in code: fineTune({ model: 'google-bert/bert-base-chinese', train: …, validation: …, output: … })
 *
 * Data and tokenizer come from the shared folder next to the repository (`../shared`); set
 * BERTFT_SHARED=/path/to/shared when it lives elsewhere. Output goes to `out/examples/` (git-ignored).
 * In your own project, import from 'bertft' instead of '../src/…'.
 */

// %% [1] Imports ---------------------------------------------------------------------------------
// `initBertWeights` (a seeded random BERT, as transformers' `_init_weights` does it) is a building
// block that the package index does not re-export, so it is imported from its module.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BertTokenizer, fineTune, measureFragmentation, readBertConfig, saveBertWeights, TextClassifier } from '../src/index.js';
import { initBertWeights } from '../src/models/bert/init.js';

// %% [2] Settings ----------------------------------------------------------------------------------
const { values: args } = parseArgs({
  options: {
    limit: { type: 'string', default: '2000' },
    epochs: { type: 'string', default: '3' },
  },
});
const LIMIT = Number(args.limit);
const EPOCHS = Number(args.epochs);

const REPO = resolve(import.meta.dirname, '..');
const SHARED = process.env.BERTFT_SHARED ?? resolve(REPO, '..', 'shared');
const ZH_TOKENIZER = join(SHARED, 'tokenizers', 'bert-base-chinese'); // tokenizer files + config, no weights
const EN_MODEL = join(SHARED, 'models', 'bert-tiny-imdb-mlm'); // English vocabulary, for comparison
const DATA = join(SHARED, 'datasets', 'chnsenticorp'); // train.tsv (label, text_a), dev.tsv (qid, label, text_a)
const OUT = join(REPO, 'out', 'examples');
const ZH_TINY = join(OUT, 'zh-tiny'); // the random-initialised base model built below
const ZH_MODEL = join(OUT, 'chnsenticorp'); // the trained classifier

// %% [3] Why the vocabulary matters ----------------------------------------------------------------
// An English vocabulary has almost no Chinese characters: most of a review becomes [UNK], and no
// amount of training recovers that. bert-base-chinese's vocabulary keeps each character as a token.
// `measureFragmentation` is the measurement `bertft advise` uses.
const sample = ['房间很干净，服务也很好，下次还会再来。', '这本书内容空洞，浪费钱。'];
const zhTok = await BertTokenizer.fromDir(ZH_TOKENIZER);
const enTok = await BertTokenizer.fromDir(EN_MODEL);
console.log(`"${sample[0]}"`);
console.log(`  bert-base-chinese: ${(await zhTok.tokenize(sample[0]!)).join(' ')}`);
console.log(`  English BERT:      ${(await enTok.tokenize(sample[0]!)).join(' ')}`);
for (const [name, tok] of [
  ['bert-base-chinese', zhTok],
  ['English BERT', enTok],
] as const) {
  const f = await measureFragmentation(tok, sample);
  console.log(`  ${name.padEnd(18)} [UNK] share ${(100 * f.unkRate).toFixed(0)} %`);
}

// %% [4] Build a small random BERT with the Chinese vocabulary -------------------------------------
// A Hugging Face model folder is config.json + tokenizer files + model.safetensors. The config is
// BERT-Tiny's shape (2 layers, hidden 128) with vocab_size 21,128 to match vocab.txt; 128
// positions are plenty for max length 64. (bert-base-chinese itself is 12 layers × 768 — far too
// slow to train from scratch on 2 CPU cores, and pointless without its pretrained weights.)
await mkdir(ZH_TINY, { recursive: true });
const config = {
  architectures: ['BertModel'],
  model_type: 'bert',
  vocab_size: 21128,
  hidden_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 512,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 128,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  initializer_range: 0.02,
};
await writeFile(join(ZH_TINY, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
for (const f of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt']) await copyFile(join(ZH_TOKENIZER, f), join(ZH_TINY, f));
// Weights: N(0, 0.02) matrices, zero biases, unit LayerNorms — deterministic for the seed.
const { config: bertConfig } = await readBertConfig(ZH_TINY);
await saveBertWeights(ZH_TINY, initBertWeights(bertConfig, 0, true));
console.log(`\nbuilt ${ZH_TINY}: random BERT, ${bertConfig.numHiddenLayers} layers × ${bertConfig.hiddenSize}, vocabulary ${bertConfig.vocabSize}`);

// %% [5] Train it (full: every weight, since none of them is pretrained) ---------------------------
// ChnSentiCorp's train.tsv has a header `label<TAB>text_a`, dev.tsv `qid<TAB>label<TAB>text_a`; the
// same column names work for both. Labels: "0" negative, "1" positive. A from-scratch model has
// nothing to forget, so it gets a larger learning rate than the 1e-4 default for fine-tuning.
console.log(`training on the first ${LIMIT} reviews, ${EPOCHS} epochs, dev = 1,200 reviews:`);
const results = await fineTune(
  {
    model: ZH_TINY,
    train: join(DATA, 'train.tsv'),
    validation: join(DATA, 'dev.tsv'),
    read: { textColumn: 'text_a', labelColumn: 'label' },
    output: ZH_MODEL,
    strategy: 'full',
    limit: LIMIT,
    epochs: EPOCHS,
    maxLength: 64,
    learningRate: 5e-4,
    seed: 42,
  },
  {
    onEvaluate: ({ entry }) =>
      console.log(
        `  epoch ${entry.epoch}: dev accuracy ${entry.eval_metrics?.accuracy?.toFixed(4)} (train loss ${entry.train_loss.toFixed(4)}, ${entry.elapsed_s.toFixed(0)} s)`,
      ),
  },
);
const best = results.best as { epoch: number; value: number };
console.log(`best dev accuracy ${best.value.toFixed(4)} at epoch ${best.epoch}; model in ${ZH_MODEL}`);

// %% [6] Predict a few reviews ---------------------------------------------------------------------
// Four new reviews (hotel, laptop, book), not from the data set.
const NAMES: Record<string, string> = { '0': 'negative', '1': 'positive' };
const reviews = [
  '房间很干净，服务也很好，下次还会再来。',
  '酒店太差了，房间又脏又吵，再也不来了。',
  '电脑运行速度很快，屏幕也清晰，很满意。',
  '这本书内容空洞，印刷质量也差，浪费钱。',
];
const classifier = await TextClassifier.fromPretrained(ZH_MODEL);
for (const p of await classifier.predict(reviews)) console.log(`  ${NAMES[String(p.label)]!.padEnd(8)} ${p.score.toFixed(3)}  ${p.text}`);
await classifier.dispose();

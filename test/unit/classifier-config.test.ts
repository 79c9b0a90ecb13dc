/** config.json's classifier part: one reader with one set of fallbacks, and the writer it inverts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bertftSection, classifierRawConfig, familyPooling, readClassifierConfig } from '../../src/checkpoint/classifier-config.js';
import { bertConfigFromRaw, rawFromBertConfig } from '../../src/checkpoint/config.js';
import type { BertConfig } from '../../src/models/bert/config.js';

const CFG: BertConfig = {
  vocabSize: 50,
  hiddenSize: 16,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 32,
  hiddenAct: 'gelu',
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  maxPositionEmbeddings: 64,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  padTokenId: 0,
  initializerRange: 0.02,
};

test('without a bertft section: HF labels or LABEL_i, problem by width, pooler pooling, else cls without pooler weights', () => {
  const hf = readClassifierConfig({ id2label: { 0: 'neg', 1: 'pos' } }, { config: CFG, hasPooler: true, numLabels: 2 });
  assert.deepEqual(hf, { labels: ['neg', 'pos'], problem: 'single_label_classification', pooling: 'pooler', maxLength: 64, threshold: 0.5 });
  const noPooler = readClassifierConfig({}, { config: CFG, hasPooler: false, numLabels: 1 });
  assert.deepEqual(noPooler, { labels: ['LABEL_0'], problem: 'regression', pooling: 'cls', maxLength: 64, threshold: 0.5 });
});

test('what the writer records is what the reader returns', () => {
  const bertft = { pooling: 'mean' as const, max_length: 32, threshold: 0.3, strategy: 'frozen', class_weights: [2, 0.5, 1] };
  const raw = classifierRawConfig({ config: CFG, baseRaw: {}, labels: ['a', 'b', 'c'], problem: 'multi_label_classification', bertft });
  const read = readClassifierConfig(raw, { config: CFG, hasPooler: false, numLabels: 3 });
  assert.deepEqual(read, {
    labels: ['a', 'b', 'c'],
    problem: 'multi_label_classification',
    pooling: 'mean',
    maxLength: 32,
    threshold: 0.3,
    strategy: 'frozen',
    classWeights: [2, 0.5, 1],
  });
  assert.deepEqual(bertftSection(read), bertft);
});

test('other families: their architectures, model_type and config keys, and a classifier dropout that survives the round trip', () => {
  const bertft = { pooling: 'cls' as const, max_length: 32 };
  const roberta: BertConfig = { ...CFG, family: 'roberta', padTokenId: 1, typeVocabSize: 1, classifierDropout: 0.3 };
  const raw = classifierRawConfig({ config: roberta, baseRaw: {}, labels: ['a', 'b'], problem: 'single_label_classification', bertft });
  assert.deepEqual([raw.architectures, raw.model_type, raw.classifier_dropout], [['RobertaForSequenceClassification'], 'roberta', 0.3]);
  assert.deepEqual(bertConfigFromRaw(raw, 'config.json'), roberta);
  const distil: BertConfig = { ...CFG, family: 'distilbert', hiddenAct: 'relu', classifierDropout: 0.2 };
  const draw = classifierRawConfig({ config: distil, baseRaw: {}, labels: ['a', 'b'], problem: 'single_label_classification', bertft });
  assert.deepEqual(
    [draw.architectures, draw.dim, draw.n_layers, draw.activation, draw.seq_classif_dropout],
    [['DistilBertForSequenceClassification'], 16, 2, 'relu', 0.2],
  );
  assert.ok(!('hidden_size' in draw) && !('type_vocab_size' in draw) && !('classifier_dropout' in draw), 'only DistilBERT keys');
  assert.deepEqual(bertConfigFromRaw(draw, 'config.json'), { ...distil, typeVocabSize: 2 });
});

test("ModernBERT: classifier_pooling records the pooling trained (transformers' head reads it), and is the fallback pooling", () => {
  const base = {
    model_type: 'modernbert',
    vocab_size: 50,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 32,
    classifier_pooling: 'mean',
  };
  const modern = bertConfigFromRaw(base, 'config.json');
  assert.equal(readClassifierConfig(base, { config: modern, hasPooler: false, numLabels: 2 }).pooling, 'mean');
  const raw = classifierRawConfig({
    config: modern,
    baseRaw: base,
    labels: ['a', 'b'],
    problem: 'single_label_classification',
    bertft: { pooling: 'cls', max_length: 32 },
  });
  assert.deepEqual(
    [raw.architectures, raw.classifier_pooling, raw.hidden_activation, raw.type_vocab_size],
    [['ModernBertForSequenceClassification'], 'cls', 'gelu', undefined],
  );
  assert.equal(bertConfigFromRaw(raw, 'config.json').classifierPooling, 'cls');
  assert.equal(
    familyPooling(bertConfigFromRaw({ ...base, classifier_pooling: undefined }, 'config.json')),
    'cls',
    "ModernBERT without the key: transformers' default",
  );
});

test('BERT: classifier_pooling names the default pooling (a masked-LM-only model), and the trained one is recorded', () => {
  const base = { model_type: 'bert', vocab_size: 50, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32 };
  const plain = bertConfigFromRaw(base, 'config.json');
  const mean = bertConfigFromRaw({ ...base, classifier_pooling: 'mean' }, 'config.json');
  assert.deepEqual([familyPooling(plain), familyPooling(mean)], ['pooler', 'mean']);
  assert.equal(readClassifierConfig({ ...base, classifier_pooling: 'mean' }, { config: mean, hasPooler: true, numLabels: 2 }).pooling, 'mean');
  assert.equal(rawFromBertConfig(mean).classifier_pooling, 'mean', 'kept on save');
  assert.equal(rawFromBertConfig(plain).classifier_pooling, undefined);
  const folder = (config: typeof plain, pooling: 'pooler' | 'cls' | 'mean') =>
    classifierRawConfig({ config, baseRaw: base, labels: ['a', 'b'], problem: 'single_label_classification', bertft: { pooling, max_length: 32 } });
  assert.equal(folder(mean, 'cls').classifier_pooling, 'cls');
  assert.equal(JSON.parse(JSON.stringify(folder(mean, 'pooler'))).classifier_pooling, undefined, 'the pooler trained: no pooling named');
  assert.equal(folder(plain, 'mean').classifier_pooling, undefined, 'a config that named none stays as transformers writes it');
  assert.throws(
    () => bertConfigFromRaw({ ...base, classifier_pooling: 'max' }, 'config.json'),
    /config\.json: field "classifier_pooling" must be "cls" or "mean"/,
  );
});

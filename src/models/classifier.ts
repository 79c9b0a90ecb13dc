/** BertForSequenceClassification moved to its head module (heads/classification.ts); re-exported for older imports (tests, benches). */
export { sequenceClassifierLogits } from '../heads/classification.js';

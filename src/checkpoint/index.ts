/** Reading and writing Hugging Face model folders: config.json, safetensors weights, atomic writes. */
export { writeFileAtomic, replaceDirAtomic } from './atomic.js';
export {
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
  encodeSafetensors,
  parseHeader,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './safetensors.js';
export { readBertConfig, bertConfigFromRaw, rawFromBertConfig, writeConfig } from './config.js';
export { loadBertWeights, saveBertWeights, MLM_HEAD_NAMES, type LoadedBertWeights } from './bert-weights.js';

/** Reading and writing Hugging Face model folders: config.json, safetensors weights, atomic writes. */
export { writeFileAtomic, replaceDirAtomic } from './atomic.js';
export { readSafetensors, readSafetensorsHeader, writeSafetensors, encodeSafetensors, parseHeader, type SafetensorsDtype, type SafetensorsHeader } from './safetensors.js';
export { readBertConfig, bertConfigFromRaw, rawFromBertConfig, writeConfig } from './config.js';
export { loadBertWeights, saveBertWeights, type LoadedBertWeights } from './bert-weights.js';

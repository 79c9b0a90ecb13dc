/**
 * The TF.js backend choices, apart from backend.ts so that command-line options can list them
 * without loading TF.js (predict and embed on onnxruntime never need it).
 */
export const TFJS_BACKENDS = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type TfjsBackendChoice = (typeof TFJS_BACKENDS)[number];

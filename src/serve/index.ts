/** `bertft serve` as a library: an HTTP JSON classification service with micro-batching. */
export { createClassificationServer, type ClassificationServer, type ClassificationServerOptions } from './server.js';
export { servedModelFromClassifier, servedModelFromTokenClassifier, type ServedModel, type ServedPrediction } from './served-model.js';
export { MicroBatcher, BatchAbortedError, type MicroBatcherOptions } from './micro-batcher.js';
export { listen, serveUntilSignal, serverUrl, waitForSignal, type ServeUntilSignalOptions } from './lifecycle.js';
export { HttpError } from './http-error.js';
export { parseClassifyRequest, type ClassifyLimits, type ClassifyRequest } from './classify-request.js';

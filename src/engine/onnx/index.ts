/**
 * The onnxruntime engine: the one BERT definition traced to a standard ONNX graph, run by
 * onnxruntime-node (the export for transformers.js is src/export/).
 */
export { ElemType, type Attribute, type ConstantTensor, type Dim, type Graph, type GraphNode, type ValueInfo } from './graph.js';
export { GraphBuilder, attr, type AddNodeOptions } from './builder.js';
export { canInfer, inferOutputs, type InferContext, type TypeAndShape } from './shape-inference.js';
export { broadcastShapes, dimProduct, dimQuotient, sameDim } from './dims.js';
export { OnnxOps, type DropoutEmitter, type OnnxOpsOptions } from './ops.js';
export { pruneGraph } from './prune.js';
export {
  BATCH_DIM,
  INPUT_NAMES,
  MASKED_DIM,
  MASKED_POSITIONS,
  SEQUENCE_DIM,
  checkBertWeights,
  traceClassifier,
  traceEncoder,
  traceMaskedLm,
  traceWith,
  type ParamPlacement,
  type TraceContext,
  type TraceEncoderOptions,
  type TraceMaskedLmOptions,
  type TraceResult,
  type TraceWithOptions,
} from './trace.js';
export { IR_VERSION, OPSET, PRODUCER, toModelBytes, toModelProto, type ToProtoOptions } from './to-proto.js';
export { quantizeGraph, type QuantizeResult } from './quantize.js';
export { createSession, int64Tensor, loadOrt, type OrtModule, type OrtSession, type OrtSessionOptions } from './session.js';
export { OnnxEncoderRunner, type OnnxEncoderRunnerOptions } from './runner.js';

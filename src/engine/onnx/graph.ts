/**
 * A plain, engine-neutral description of an ONNX graph, built in memory before it is serialised.
 *
 * The forward tracer appends nodes here; reverse-mode differentiation reads the same list and
 * appends backward nodes; only `to-proto.ts` knows about protobuf. Keeping this representation
 * small and explicit is what lets forward, backward and optimizer graphs share one builder.
 */

/** ONNX element types used by bertft (values match `TensorProto.DataType`). */
export const ElemType = { Float: 1, Uint8: 2, Int8: 3, Int32: 6, Int64: 7, Bool: 9, Double: 11, Uint32: 12 } as const;
export type ElemType = (typeof ElemType)[keyof typeof ElemType];

/** A dimension: a fixed size, or a symbolic name such as `batch` / `sequence`. */
export type Dim = number | string;

/** A node attribute, tagged with its ONNX attribute type. */
export type Attribute =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: ConstantTensor };

export interface ConstantTensor {
  elemType: ElemType;
  dims: number[];
  /**
   * float32 for Float, int32/uint32/int64 values as numbers for integer types, 0/1 for Bool;
   * Int8Array/Uint8Array for the 8-bit types of quantized weights.
   */
  values: Float32Array | Int8Array | Uint8Array | number[];
}

export interface GraphNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
  /** ONNX domain, default '' (ai.onnx). */
  domain?: string;
}

export interface ValueInfo {
  name: string;
  elemType: ElemType;
  shape: Dim[];
}

export interface Graph {
  name: string;
  nodes: GraphNode[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Constant tensors stored in the model (weights for inference, small constants always). */
  initializers: Map<string, ConstantTensor>;
  /**
   * Types and symbolic shapes of intermediate values (optional), written to the model's
   * `value_info`. Inference graphs leave it out on purpose: with it onnxruntime 1.30 can prove
   * enough shapes to fuse Add+LayerNormalization into SkipLayerNormalization, whose CPU kernel
   * measured ~15% slower on BERT-Mini than the unfused pair.
   */
  valueInfo?: ValueInfo[];
}

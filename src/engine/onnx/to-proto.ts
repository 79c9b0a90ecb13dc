import onnxProto from 'onnx-proto';
import { ElemType, type Attribute, type ConstantTensor, type Dim, type Graph, type ValueInfo } from './graph.js';

/**
 * Serialises the in-memory {@link Graph} to ONNX ModelProto bytes. The only module that knows
 * about protobuf. Tensors go in `raw_data` (little-endian, as ONNX requires), which keeps a
 * 60 MB embedding matrix one copy instead of millions of varints.
 */

const { onnx } = onnxProto;

/** IR version 8 is what opset 17 ships with (ONNX 1.12); onnxruntime 1.30 reads it. */
export const IR_VERSION = 8;
export const OPSET = 17;
export const PRODUCER = 'bertft';

export interface ToProtoOptions {
  /** Version string recorded as producer_version. */
  producerVersion?: string;
  /** Extra opset imports, e.g. `{ 'com.microsoft': 1 }` for contrib ops. */
  extraOpsets?: Record<string, number>;
  docString?: string;
}

// The byte order of typed arrays is the platform's; ONNX raw_data is little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function rawBytes(t: ConstantTensor): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('ONNX serialisation needs a little-endian platform');
  switch (t.elemType) {
    case ElemType.Float: {
      const f = t.values instanceof Float32Array ? t.values : Float32Array.from(t.values);
      return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
    }
    case ElemType.Int64: {
      const a = BigInt64Array.from(Array.from(t.values as ArrayLike<number>, (v) => BigInt(v)));
      return new Uint8Array(a.buffer);
    }
    case ElemType.Int32: {
      const a = Int32Array.from(t.values as ArrayLike<number>);
      return new Uint8Array(a.buffer);
    }
    case ElemType.Uint32: {
      const a = Uint32Array.from(t.values as ArrayLike<number>);
      return new Uint8Array(a.buffer);
    }
    case ElemType.Int8: {
      const a = t.values instanceof Int8Array ? t.values : Int8Array.from(t.values as ArrayLike<number>);
      return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    }
    case ElemType.Uint8:
      return t.values instanceof Uint8Array ? t.values : Uint8Array.from(t.values as ArrayLike<number>);
    case ElemType.Bool:
      return Uint8Array.from(t.values as ArrayLike<number>, (v) => (v ? 1 : 0));
    default:
      throw new Error(`cannot serialise tensors of ONNX element type ${String(t.elemType)}`);
  }
}

function tensorProto(name: string, t: ConstantTensor): onnxProto.onnx.ITensorProto {
  return { name, dims: [...t.dims], dataType: t.elemType, rawData: rawBytes(t) };
}

function dimProto(d: Dim): onnxProto.onnx.TensorShapeProto.IDimension {
  return typeof d === 'number' ? { dimValue: d } : { dimParam: d };
}

function valueInfoProto(v: ValueInfo): onnxProto.onnx.IValueInfoProto {
  return { name: v.name, type: { tensorType: { elemType: v.elemType, shape: { dim: v.shape.map(dimProto) } } } };
}

function attributeProto(name: string, a: Attribute): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorProto('', a.value) };
  }
}

/** The ModelProto message (before encoding), for callers that want to inspect it. */
export function toModelProto(graph: Graph, options: ToProtoOptions = {}): onnxProto.onnx.IModelProto {
  const opsets = [{ domain: '', version: OPSET }, ...Object.entries(options.extraOpsets ?? {}).map(([domain, version]) => ({ domain, version }))];
  return {
    irVersion: IR_VERSION,
    opsetImport: opsets,
    producerName: PRODUCER,
    producerVersion: options.producerVersion ?? '',
    docString: options.docString ?? '',
    graph: {
      name: graph.name,
      node: graph.nodes.map((n, i) => ({
        name: `${n.opType}_${i}`,
        opType: n.opType,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes).map(([k, a]) => attributeProto(k, a)),
      })),
      input: graph.inputs.map(valueInfoProto),
      output: graph.outputs.map(valueInfoProto),
      valueInfo: (graph.valueInfo ?? []).map(valueInfoProto),
      initializer: [...graph.initializers].map(([name, t]) => tensorProto(name, t)),
    },
  };
}

/** Encodes a graph as an ONNX model file's bytes. */
export function toModelBytes(graph: Graph, options: ToProtoOptions = {}): Uint8Array {
  // encode() takes the plain message object as is (no fromObject copy of the weight bytes).
  return onnx.ModelProto.encode(toModelProto(graph, options)).finish();
}

import { ElemType, type Attribute, type ConstantTensor, type Dim, type Graph, type GraphNode, type ValueInfo } from './graph.js';
import { inferOutputs, type TypeAndShape } from './shape-inference.js';

/** Options for {@link GraphBuilder.add}. */
export interface AddNodeOptions {
  /** Prefix of the generated output names (default: the op type in lower case). */
  hint?: string;
  /** How many outputs the node has (default 1, or as many as `outputTypes`). */
  outputs?: number;
  /** Output types/shapes, for ops without an inference rule or with data-dependent sizes. */
  outputTypes?: TypeAndShape[];
  /** Output names to use instead of generated ones. */
  outputNames?: string[];
  /** ONNX domain ('' = ai.onnx, the default). */
  domain?: string;
}

/**
 * Appends to a {@link Graph} while keeping every value's element type and symbolic shape, so later
 * passes (the autodiff, the serialiser) never have to re-infer them. Names are unique within the
 * builder; small constants are shared rather than duplicated.
 */
export class GraphBuilder {
  readonly graph: Graph;
  private readonly values = new Map<string, ValueInfo>();
  private readonly usedNames = new Set<string>();
  private readonly constantCache = new Map<string, string>();
  private counter = 0;
  private freshDims = 0;

  constructor(name = 'bertft') {
    this.graph = { name, nodes: [], inputs: [], outputs: [], initializers: new Map() };
  }

  /** A value name not used before, e.g. `matmul_12`. */
  fresh(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'v';
    let name = `${base}_${this.counter++}`;
    // The counter alone keeps fresh names apart; the check avoids names the caller chose.
    while (this.usedNames.has(name)) name = `${base}_${this.counter++}`;
    return name;
  }

  /** A new symbolic dimension for a size known only at run time. */
  freshDim(): Dim {
    return `unk_${this.freshDims++}`;
  }

  /** Type and shape of a value (graph input, initializer or node output). */
  info(name: string): ValueInfo {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`unknown graph value "${name}"`);
    return v;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  shape(name: string): Dim[] {
    return this.info(name).shape;
  }

  rank(name: string): number {
    return this.info(name).shape.length;
  }

  elemType(name: string): ElemType {
    return this.info(name).elemType;
  }

  isInitializer(name: string): boolean {
    return this.graph.initializers.has(name);
  }

  isGraphInput(name: string): boolean {
    return this.graph.inputs.some((v) => v.name === name);
  }

  /** Integer contents of a constant value, or undefined when it is not an initializer. */
  constInts(name: string): number[] | undefined {
    const t = this.graph.initializers.get(name);
    if (t === undefined || t.elemType === ElemType.Float) return undefined;
    return Array.from(t.values as ArrayLike<number>);
  }

  private claim(name: string): void {
    if (this.usedNames.has(name) || this.values.has(name)) throw new Error(`graph value "${name}" already exists`);
    this.usedNames.add(name);
  }

  /** Declares a graph input. */
  addInput(name: string, elemType: ElemType, shape: Dim[]): string {
    this.claim(name);
    const info: ValueInfo = { name, elemType, shape: [...shape] };
    this.graph.inputs.push(info);
    this.values.set(name, info);
    return name;
  }

  /** Stores a tensor in the model (a weight, or a constant the graph needs). */
  addInitializer(name: string, tensor: ConstantTensor): string {
    this.claim(name);
    const size = tensor.dims.reduce((a, b) => a * b, 1);
    if (tensor.values.length !== size) {
      throw new Error(`initializer ${name}: ${tensor.values.length} values for dims [${tensor.dims.join(', ')}]`);
    }
    this.graph.initializers.set(name, tensor);
    this.values.set(name, { name, elemType: tensor.elemType, shape: [...tensor.dims] });
    return name;
  }

  /** A shared constant; identical constants are stored once. */
  constant(elemType: ElemType, dims: number[], values: number[], hint = 'const'): string {
    const key = `${elemType}|${dims.join(',')}|${values.join(',')}`;
    const cached = this.constantCache.get(key);
    if (cached !== undefined) return cached;
    const data = elemType === ElemType.Float ? Float32Array.from(values) : [...values];
    const name = this.addInitializer(this.fresh(hint), { elemType, dims, values: data });
    this.constantCache.set(key, name);
    return name;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    return this.constant(ElemType.Float, [], [value], 'scalar');
  }

  /** A 1-D int64 constant (shapes, axes, slice bounds). */
  int64s(values: number[]): string {
    return this.constant(ElemType.Int64, [values.length], values, 'ints');
  }

  /** A 0-D int64 constant (a Gather index that removes the axis). */
  int64Scalar(value: number): string {
    return this.constant(ElemType.Int64, [], [value], 'index');
  }

  /**
   * Appends a node and returns its output names. Output types come from the op's inference rule
   * unless given in `options.outputTypes`.
   */
  add(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}, options: AddNodeOptions = {}): string[] {
    // '' marks an omitted optional input, as in ONNX.
    const infos = inputs.map((n) => (n === '' ? undefined : this.info(n)));
    const types =
      options.outputTypes ??
      inferOutputs(opType, {
        inputs: infos,
        attributes,
        constInts: (i) => (inputs[i] ? this.constInts(inputs[i]) : undefined),
        freshDim: () => this.freshDim(),
      });
    const count = options.outputs ?? options.outputNames?.length ?? (options.outputTypes ? types.length : 1);
    if (types.length < count) throw new Error(`${opType}: ${count} outputs asked for, ${types.length} typed`);
    const hint = options.hint ?? opType.toLowerCase();
    const outputs: string[] = [];
    for (let i = 0; i < count; i++) {
      const given = options.outputNames?.[i];
      let name: string;
      if (given !== undefined) {
        this.claim(given);
        name = given;
      } else {
        name = this.fresh(i === 0 ? hint : `${hint}_out${i}`);
        this.claim(name);
      }
      this.values.set(name, { name, elemType: types[i].elemType, shape: [...types[i].shape] });
      outputs.push(name);
    }
    const node: GraphNode = { opType, inputs: [...inputs], outputs, attributes };
    if (options.domain) node.domain = options.domain;
    this.graph.nodes.push(node);
    return outputs;
  }

  /** {@link add} for the common single-output case. */
  op(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}, options: AddNodeOptions = {}): string {
    return this.add(opType, inputs, attributes, { ...options, outputs: 1 })[0];
  }

  /**
   * Type and shape of every node output that is not a graph output, for `Graph.valueInfo`.
   * Symbols invented for run-time sizes (`unk_*`) are left out: a wrong guess would only
   * confuse onnxruntime's own inference.
   */
  intermediateValueInfo(): ValueInfo[] {
    const outputs = new Set(this.graph.outputs.map((o) => o.name));
    const out: ValueInfo[] = [];
    for (const node of this.graph.nodes) {
      for (const name of node.outputs) {
        const v = this.values.get(name);
        if (v === undefined || outputs.has(name)) continue;
        if (v.shape.some((d) => typeof d === 'string' && d.includes('unk_'))) continue;
        out.push({ name, elemType: v.elemType, shape: [...v.shape] });
      }
    }
    return out;
  }

  /**
   * Exposes `value` as graph output `name` (through an Identity when the names differ, which
   * onnxruntime removes). `shape` overrides the tracked shape, e.g. to name a dim for users.
   */
  addOutput(value: string, name: string = value, shape?: Dim[]): string {
    const src = this.info(value);
    const out = name === value ? value : this.op('Identity', [value], {}, { outputNames: [name] });
    const info: ValueInfo = { name: out, elemType: src.elemType, shape: [...(shape ?? src.shape)] };
    this.values.set(out, info);
    this.graph.outputs.push(info);
    return out;
  }
}

/** Attribute helpers: `attr.int(1)`, `attr.ints([0, 2, 1, 3])`, … */
export const attr = {
  int: (value: number): Attribute => ({ kind: 'int', value }),
  ints: (value: number[]): Attribute => ({ kind: 'ints', value }),
  float: (value: number): Attribute => ({ kind: 'float', value }),
  floats: (value: number[]): Attribute => ({ kind: 'floats', value }),
  string: (value: string): Attribute => ({ kind: 'string', value }),
  tensor: (value: ConstantTensor): Attribute => ({ kind: 'tensor', value }),
};

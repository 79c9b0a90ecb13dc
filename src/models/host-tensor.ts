/** A tensor in host memory: row-major float32 values and a shape. The engine-neutral currency of weights. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** Number of elements a shape holds. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

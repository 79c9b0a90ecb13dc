import { UsageError } from '../errors.js';
import { checkDevice, checkTrainingDevice, type Device } from '../engine/types.js';

/** Parses a whole positive integer option, or fails with a usage error naming the flag. */
export function parsePositiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`${flag} must be a positive whole number, got "${value}"`);
  }
  return n;
}

/** Parses a finite number option (a learning rate, a fraction...). */
export function parseNumber(flag: string, value: string, { min, max }: { min?: number; max?: number } = {}): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number, got "${value}"`);
  if (min !== undefined && n < min) throw new UsageError(`${flag} must be at least ${min}, got ${value}`);
  if (max !== undefined && n > max) throw new UsageError(`${flag} must be at most ${max}, got ${value}`);
  return n;
}

/** Checks a value is one of a fixed set of choices. */
export function parseChoice<C extends string>(flag: string, value: string, choices: readonly C[]): C {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${choices.join(', ')}; got "${value}"`);
  }
  return value as C;
}

/** `--device`: cpu (the default when absent), webgpu or cuda (engine/types.ts). */
export function parseDevice(value: unknown): Device {
  return checkDevice(String(value ?? 'cpu'));
}

/** `--device` of a training command: cpu (the default) or cuda; webgpu refuses in one line (inference only so far). */
export function parseTrainingDevice(value: unknown): Device {
  return checkTrainingDevice(String(value ?? 'cpu'));
}

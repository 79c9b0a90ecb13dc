import { UsageError } from '../errors.js';
import { checkDevice, type DeviceChoice } from '../engine/types.js';

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

/** `--device`: cpu (the default when absent), webgpu, cuda, or auto (engine/types.ts; resolved by engine/select.ts resolveDevice). */
export function parseDevice(value: unknown): DeviceChoice {
  return checkDevice(String(value ?? 'cpu'));
}

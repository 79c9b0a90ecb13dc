import { open, readFile } from 'node:fs/promises';
import { BertftError } from '../errors.js';
import { shapeSize, type HostTensor } from '../models/host-tensor.js';
import { writeFileAtomic } from './atomic.js';

/** Element types bertft reads; all become float32 in memory. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
/** The file format is little-endian; so are x86 and ARM hosts, where raw bytes copy straight in. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsHeader {
  entries: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
  /** Where the data section starts in the file. */
  dataStart: number;
}

function fail(file: string, what: string): never {
  throw new BertftError(`${file}: ${what}`);
}

/** Parses and checks the JSON header (8-byte little-endian length, then JSON). */
export function parseHeader(file: string, bytes: Uint8Array): SafetensorsHeader {
  if (bytes.byteLength < 8) fail(file, `not a safetensors file (only ${bytes.byteLength} bytes)`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.byteLength - 8) fail(file, `truncated or not safetensors: the header claims ${n} bytes but the file has ${bytes.byteLength - 8} after the length`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  } catch {
    fail(file, 'the safetensors header is not valid JSON (the file is damaged or not safetensors)');
  }
  const entries = new Map<string, HeaderEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const e = v as Partial<HeaderEntry>;
    if (!e || typeof e.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) {
      fail(file, `tensor "${name}" has a malformed header entry`);
    }
    entries.set(name, e as HeaderEntry);
  }
  return { entries, metadata, dataStart: 8 + n };
}

/** Checks offsets: in order, contiguous, non-overlapping, inside the data section, sized as shape × dtype. */
function checkLayout(file: string, header: SafetensorsHeader, dataBytes: number): void {
  const sorted = [...header.entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  let expectedStart = 0;
  for (const [name, e] of sorted) {
    const [start, end] = e.data_offsets;
    if (!(e.dtype in BYTES)) fail(file, `tensor "${name}" has dtype ${e.dtype}; bertft reads F32, F16 and BF16`);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start !== expectedStart || end < start) {
      fail(file, `tensor "${name}" has bad data offsets [${start}, ${end}] (overlapping or out of order)`);
    }
    if (end > dataBytes) fail(file, `truncated: tensor "${name}" ends at byte ${end} of the data but only ${dataBytes} bytes are there`);
    const expected = shapeSize(e.shape) * BYTES[e.dtype as SafetensorsDtype];
    if (end - start !== expected) fail(file, `tensor "${name}" has ${end - start} bytes, but shape [${e.shape.join(', ')}] of ${e.dtype} needs ${expected}`);
    expectedStart = end;
  }
}

/** IEEE half → float32, exactly (subnormals, infinities and NaN included). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decode(dtype: SafetensorsDtype, bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32' && LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
  } else if (dtype === 'F32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'F16') {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  } else {
    // bfloat16 is the top half of a float32.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
  }
  return out;
}

/** Reads just the header of a safetensors file (cheap: a few KB). */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const len = Buffer.alloc(8);
    await handle.read(len, 0, 8, 0);
    const n = size >= 8 ? Number(len.readBigUInt64LE(0)) : 0;
    const buf = Buffer.alloc(Math.min(size, 8 + Math.min(n, size)));
    await handle.read(buf, 0, buf.length, 0);
    const header = parseHeader(file, buf);
    checkLayout(file, header, size - header.dataStart);
    return header;
  } finally {
    await handle.close();
  }
}

/** Reads every tensor of a safetensors file as float32. Damaged files give an error naming the file and tensor. */
export async function readSafetensors(file: string): Promise<{ tensors: Map<string, HostTensor>; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    fail(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const header = parseHeader(file, bytes);
  checkLayout(file, header, bytes.byteLength - header.dataStart);
  const tensors = new Map<string, HostTensor>();
  for (const [name, e] of header.entries) {
    const [start, end] = e.data_offsets;
    const data = decode(e.dtype as SafetensorsDtype, bytes.subarray(header.dataStart + start, header.dataStart + end), shapeSize(e.shape));
    tensors.set(name, { shape: [...e.shape], data });
  }
  return { tensors, metadata: header.metadata };
}

/** Serialises tensors as F32 safetensors (sorted names, header padded to 8 bytes). */
export function encodeSafetensors(tensors: ReadonlyMap<string, HostTensor>, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    if (t.data.length !== shapeSize(t.shape)) throw new Error(`tensor ${name}: ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] };
    offset += t.data.length * 4;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + jsonBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  out.set(jsonBytes, 8);
  let pos = 8 + jsonBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    } else {
      const view = new DataView(out.buffer);
      d.forEach((v, i) => view.setFloat32(pos + 4 * i, v, true));
    }
    pos += d.byteLength;
  }
  return out;
}

/** Writes tensors to a safetensors file atomically. */
export async function writeSafetensors(file: string, tensors: ReadonlyMap<string, HostTensor>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(file, encodeSafetensors(tensors, metadata ? { format: 'pt', ...metadata } : undefined));
}

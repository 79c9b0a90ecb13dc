/**
 * The safetensors format: 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}`, then the raw
 * little-endian tensor bytes (offsets count from the end of the header).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { BertftError } from '../errors.js';
import { shapeSize, type HostTensor } from '../models/host-tensor.js';
import { writeFileAtomic } from './atomic.js';

/** Element types bertft reads; all become float32 in memory. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
const isDtype = (d: string): d is SafetensorsDtype => Object.hasOwn(BYTES, d);

/** x86 and ARM hosts are little-endian like the format, so F32 bytes copy straight in. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** The reference implementation refuses larger headers; so do we, before allocating them. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** One tensor's header entry, checked. */
export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range [begin, end) relative to the start of the data section. */
  data_offsets: [number, number];
}

export interface SafetensorsHeader {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Where the data section starts in the file (8 + header length). */
  dataStart: number;
}

function fail(file: string, what: string): never {
  throw new BertftError(`${file}: ${what}`);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks one `{dtype, shape, data_offsets}` entry of the header. */
function parseEntry(file: string, name: string, v: unknown): SafetensorsEntry {
  const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (!e || typeof e !== 'object' || typeof e.dtype !== 'string') {
    fail(file, `tensor "${name}" has a malformed header entry (no dtype); the file is damaged or not safetensors`);
  }
  if (!isDtype(e.dtype)) {
    fail(file, `tensor "${name}" has dtype ${e.dtype}; bertft reads F32, F16 and BF16 (re-save the model in float32, e.g. model.float().save_pretrained(...))`);
  }
  if (!Array.isArray(e.shape) || !e.shape.every(isCount)) {
    fail(file, `tensor "${name}" has shape ${JSON.stringify(e.shape)}; a shape is a list of non-negative whole numbers`);
  }
  const off = e.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !isCount(off[0]) || !isCount(off[1])) {
    fail(file, `tensor "${name}" has data_offsets ${JSON.stringify(off)}; expected [begin, end] byte positions`);
  }
  return { dtype: e.dtype, shape: [...(e.shape as number[])], data_offsets: [off[0], off[1]] };
}

/**
 * Reads the 8-byte header length and checks it against the file size (and a sanity cap) before
 * anything that size is allocated.
 */
function headerLength(file: string, first: Uint8Array, fileSize: number): number {
  if (fileSize < 8 || first.byteLength < 8) fail(file, `not a safetensors file (only ${fileSize} bytes; the file is truncated or empty)`);
  const n = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) {
    fail(file, `truncated or not safetensors: the header claims ${n} bytes but the file has ${fileSize - 8} after the length`);
  }
  if (n > BigInt(MAX_HEADER_BYTES)) fail(file, `the safetensors header claims ${n} bytes (over 100 MiB); the file is damaged or not safetensors`);
  return Number(n);
}

/**
 * Parses and checks the header from the start of a safetensors file. `bytes` must hold at least
 * the 8-byte length and the header; `fileSize` is the whole file's size (default: `bytes` is the
 * whole file).
 *
 * @throws BertftError naming the file (and tensor) when the header is damaged.
 */
export function parseHeader(file: string, bytes: Uint8Array, fileSize = bytes.byteLength): SafetensorsHeader {
  const len = headerLength(file, bytes, fileSize);
  if (bytes.byteLength < 8 + len) throw new RangeError(`parseHeader: given ${bytes.byteLength} bytes of ${file}, the header needs ${8 + len}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + len)));
  } catch {
    fail(file, 'the safetensors header is not valid JSON (the file is damaged or not safetensors)');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    fail(file, 'the safetensors header is not a JSON object (the file is damaged or not safetensors)');
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(file, v);
    } else {
      entries.set(name, parseEntry(file, name, v));
    }
  }
  return { entries, metadata, dataStart: 8 + len };
}

function parseMetadata(file: string, v: unknown): Record<string, string> {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((s) => typeof s === 'string')) {
    fail(file, '__metadata__ in the safetensors header must map names to strings');
  }
  return { ...(v as Record<string, string>) };
}

/**
 * Checks the data layout: each tensor's bytes sized as shape × dtype, offsets in order, back to back
 * (no overlap, no gap) and inside the data section.
 */
function checkLayout(file: string, header: SafetensorsHeader, dataBytes: number): void {
  const sorted = [...header.entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  let previous: { name: string; end: number } = { name: '', end: 0 };
  for (const [name, e] of sorted) {
    const [start, end] = e.data_offsets;
    if (end < start) fail(file, `tensor "${name}" has data offsets out of order [${start}, ${end}] (end before begin); the header is damaged`);
    const expected = shapeSize(e.shape) * BYTES[e.dtype];
    if (end - start !== expected) {
      fail(file, `tensor "${name}" has ${end - start} bytes, but shape [${e.shape.join(', ')}] of ${e.dtype} needs ${expected}; the header is damaged`);
    }
    if (start < previous.end) {
      fail(
        file,
        `tensor "${name}" has data offsets [${start}, ${end}] overlapping tensor "${previous.name}" (which ends at ${previous.end}); the header is damaged`,
      );
    }
    if (start > previous.end) {
      const after = previous.name ? `tensor "${previous.name}" ends at ${previous.end}` : 'the data section starts at 0';
      fail(file, `tensor "${name}" has data offsets [${start}, ${end}] out of order: ${after}, leaving a gap; the header is damaged`);
    }
    if (end > dataBytes) {
      fail(file, `truncated: tensor "${name}" ends at byte ${end} of the data but only ${dataBytes} bytes are there (download or copy the file again)`);
    }
    previous = { name, end };
  }
}

/** IEEE binary16 → number, exactly (subnormals, infinities and NaN included). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** All 65536 halves as float32 (256 KiB, built once): a lookup beats the arithmetic per element. */
let halfTable: Float32Array | undefined;
function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToNumber(h);
  }
  return halfTable;
}

/** Reads exactly `length` bytes at `position`, or reports the file as truncated. */
async function readExactly(handle: FileHandle, file: string, into: Uint8Array, position: number, what: string): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) fail(file, `truncated: the file ended while reading ${what}`);
    done += bytesRead;
  }
}

/** Reads one tensor's bytes and widens them to float32. */
async function readTensor(handle: FileHandle, file: string, name: string, e: SafetensorsEntry, dataStart: number): Promise<Float32Array> {
  const count = shapeSize(e.shape);
  const position = dataStart + e.data_offsets[0];
  const out = new Float32Array(count);
  if (e.dtype === 'F32') {
    // Read straight into the result; fix the byte order only on a big-endian host.
    const bytes = new Uint8Array(out.buffer);
    await readExactly(handle, file, bytes, position, `tensor "${name}"`);
    if (!LITTLE_ENDIAN) {
      const view = new DataView(out.buffer);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    }
    return out;
  }
  const halves = new Uint16Array(count);
  await readExactly(handle, file, new Uint8Array(halves.buffer), position, `tensor "${name}"`);
  if (!LITTLE_ENDIAN) {
    const view = new DataView(halves.buffer);
    for (let i = 0; i < count; i++) halves[i] = view.getUint16(i * 2, true);
  }
  if (e.dtype === 'F16') {
    const table = halfLookup();
    for (let i = 0; i < count; i++) out[i] = table[halves[i]];
  } else {
    // bfloat16 is the top half of a float32, so widening is a shift of the bit pattern.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = halves[i] << 16;
  }
  return out;
}

/** Opens a file for reading, turning "not found" and friends into an error naming it. */
async function openForReading(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (e) {
    fail(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Reads and checks the header (and the data layout against the file size) through an open handle. */
async function headerOf(handle: FileHandle, file: string): Promise<SafetensorsHeader> {
  const stat = await handle.stat();
  if (!stat.isFile()) fail(file, 'is not a file');
  const first = new Uint8Array(Math.min(stat.size, 8));
  await readExactly(handle, file, first, 0, 'the header length');
  const bytes = new Uint8Array(8 + headerLength(file, first, stat.size));
  await readExactly(handle, file, bytes, 0, 'the header');
  const header = parseHeader(file, bytes, stat.size);
  checkLayout(file, header, stat.size - header.dataStart);
  return header;
}

/**
 * Reads just the header of a safetensors file (names, dtypes, shapes, metadata) without loading
 * any tensor data — cheap inspection of a multi-GB file.
 *
 * @throws BertftError naming the file (and tensor) when it is missing or damaged.
 */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const handle = await openForReading(file);
  try {
    return await headerOf(handle, file);
  } finally {
    await handle.close();
  }
}

/**
 * Reads every tensor of a safetensors file as float32 (F16 and BF16 are widened exactly). The
 * whole layout is checked before any data is read.
 *
 * @throws BertftError naming the file, and the tensor where one is at fault, for a missing, short,
 *   truncated or damaged file, an unknown dtype, or offsets that are out of order, overlap, or
 *   disagree with the shape.
 */
export async function readSafetensors(file: string): Promise<{ tensors: Map<string, HostTensor>; metadata: Record<string, string> }> {
  const handle = await openForReading(file);
  try {
    const header = await headerOf(handle, file);
    const tensors = new Map<string, HostTensor>();
    for (const [name, e] of header.entries) {
      tensors.set(name, { shape: [...e.shape], data: await readTensor(handle, file, name, e, header.dataStart) });
    }
    return { tensors, metadata: header.metadata };
  } finally {
    await handle.close();
  }
}

/**
 * Serialises tensors as F32 safetensors in memory: names sorted, header JSON padded with spaces to
 * a multiple of 8 bytes (so the data stays aligned), `__metadata__` = `{format: 'pt'}` unless given.
 *
 * @throws BertftError naming the tensor when its data length does not match its shape.
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, HostTensor>,
  metadata: Record<string, string> = { format: 'pt' },
  dtype: 'F32' | 'F16' = 'F32',
): Uint8Array {
  const width = dtype === 'F16' ? 2 : 4;
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    if (name === '__metadata__' || name === '') throw new BertftError(`cannot save a tensor named "${name}" in safetensors; rename it`);
    if (!t.shape.every(isCount) || t.data.length !== shapeSize(t.shape)) {
      throw new BertftError(`cannot save tensor ${name}: it has ${t.data.length} values but shape [${t.shape.join(', ')}]`);
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length * width] };
    offset += t.data.length * width;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + jsonBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(jsonBytes.length), true);
  out.set(jsonBytes, 8);
  let pos = 8 + jsonBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    if (dtype === 'F16') {
      for (let i = 0; i < d.length; i++) view.setUint16(pos + 2 * i, float32ToFloat16Bits(d[i]!), true);
      pos += d.length * 2;
      continue;
    }
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    } else {
      for (let i = 0; i < d.length; i++) view.setFloat32(pos + 4 * i, d[i], true);
    }
    pos += d.byteLength;
  }
  return out;
}

/**
 * Writes tensors to a safetensors file (F32, sorted names, `format: 'pt'` metadata plus `metadata`)
 * atomically: readers see the old file or the new one, never a torn one.
 */
export async function writeSafetensors(
  file: string,
  tensors: ReadonlyMap<string, HostTensor>,
  metadata?: Record<string, string>,
  dtype: 'F32' | 'F16' = 'F32',
): Promise<void> {
  await writeFileAtomic(file, encodeSafetensors(tensors, { format: 'pt', ...metadata }, dtype));
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** IEEE half-precision bits of a float32, rounded to nearest even (overflow → ±Inf, NaN kept). */
export function float32ToFloat16Bits(value: number): number {
  F32[0] = value;
  const x = U32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half += 1;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half += 1;
  return sign | half;
}

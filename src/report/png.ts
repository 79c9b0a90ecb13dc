/** A tiny PNG decoder (8-bit greyscale/RGB/RGBA, not interlaced): enough to check a screenshot. */
import { inflateSync } from 'node:zlib';

/** Decoded pixels as RGB triples, row after row. */
export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3 bytes. */
  rgb: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 }; // colour type → samples per pixel

/**
 * Decodes a PNG into RGB pixels (alpha dropped). Handles the five row filters.
 *
 * @throws Error on anything else (palette, 16-bit, interlaced, not a PNG)
 */
export function decodePng(data: Uint8Array): RgbImage {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 33 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file');
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  const [depth, colourType, , , interlace] = buf.subarray(24, 29);
  const channels = CHANNELS[colourType!];
  if (depth !== 8 || !channels || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colourType}, interlace ${interlace}`);
  const idat: Buffer[] = [];
  for (let off = 8; off + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (type === 'IDAT') idat.push(buf.subarray(off + 8, off + 8 + len));
    if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error('PNG image data is truncated');
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    unfilter(filter, src, row, prev, channels);
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    const grey = channels <= 2;
    rgb[i * 3] = pixels[p]!;
    rgb[i * 3 + 1] = pixels[grey ? p : p + 1]!;
    rgb[i * 3 + 2] = pixels[grey ? p : p + 2]!;
  }
  return { width, height, rgb };
}

/** Reverses one row's filter (PNG spec §9); `bpp` = bytes per pixel. */
function unfilter(filter: number, src: Uint8Array, out: Uint8Array, prev: Uint8Array, bpp: number): void {
  for (let i = 0; i < src.length; i++) {
    const a = i >= bpp ? out[i - bpp]! : 0;
    const b = prev[i]!;
    const c = i >= bpp ? prev[i - bpp]! : 0;
    let predictor: number;
    switch (filter) {
      case 0:
        predictor = 0;
        break;
      case 1:
        predictor = a;
        break;
      case 2:
        predictor = b;
        break;
      case 3:
        predictor = (a + b) >> 1;
        break;
      case 4:
        predictor = paeth(a, b, c);
        break;
      default:
        throw new Error(`bad PNG row filter ${filter}`);
    }
    out[i] = (src[i]! + predictor) & 0xff;
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Variance of the pixels' luminance (0 for a blank image, thousands for a drawn page). */
export function luminanceVariance(img: RgbImage): number {
  const n = img.width * img.height;
  if (!n) return 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const l = 0.299 * img.rgb[i * 3]! + 0.587 * img.rgb[i * 3 + 1]! + 0.114 * img.rgb[i * 3 + 2]!;
    sum += l;
    sumSq += l * l;
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

/** How many pixels lie within `tolerance` (per channel) of a colour given as "#rrggbb". */
export function countColour(img: RgbImage, hex: string, tolerance = 12): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let count = 0;
  for (let i = 0; i < img.rgb.length; i += 3) {
    if (Math.abs(img.rgb[i]! - r!) <= tolerance && Math.abs(img.rgb[i + 1]! - g!) <= tolerance && Math.abs(img.rgb[i + 2]! - b!) <= tolerance) count++;
  }
  return count;
}

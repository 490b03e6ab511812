// A minimal PNG encoder (8-bit grayscale, RGB or RGBA, no interlace, filter 0 on every row): enough
// for the report's pictures of a batch, embedded as data: URIs. The pixels are deflated by node:zlib.
import zlib from 'node:zlib';
import { TorchValueError } from '../torch/errors.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** PNG colour types by channel count: 1 grayscale, 3 RGB, 4 RGBA. */
const COLOR_TYPE: Record<number, number> = { 1: 0, 3: 2, 4: 6 };

let crcTable: Uint32Array | undefined;
/** CRC-32 (ISO 3309, the one PNG chunks carry). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'ascii');
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/**
 * Encodes height×width pixels, row-major with interleaved channels (gray; R,G,B; or R,G,B,A), as
 * PNG bytes.
 */
export function encodePng(width: number, height: number, channels: 1 | 3 | 4, pixels: Uint8Array): Buffer {
  if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(height) || height < 1)
    throw new TorchValueError(`encodePng(): width and height must be positive integers, got ${String(width)}×${String(height)}`);
  const colorType = COLOR_TYPE[channels];
  if (colorType === undefined) throw new TorchValueError(`encodePng(): channels must be 1, 3 or 4, got ${String(channels)}`);
  if (!(pixels instanceof Uint8Array) || pixels.length !== width * height * channels)
    throw new TorchValueError(
      `encodePng(): pixels must be a Uint8Array of ${width}×${height}×${channels} = ${width * height * channels} bytes, got ${pixels instanceof Uint8Array ? pixels.length : typeof pixels}`,
    );
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colorType;
  // compression 0, filter method 0, no interlace: already zero
  const stride = width * channels;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1); // filter byte 0 (None)
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** The PNG as a data: URI (for <img src> or SVG <image href>). */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

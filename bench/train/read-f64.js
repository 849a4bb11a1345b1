import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Reads a raw little-endian float64 file straight into a Float64Array (no intermediate Buffer copy). */
export function readFloat64File(path, expectedLength) {
  const out = new Float64Array(expectedLength);
  const bytes = new Uint8Array(out.buffer);
  const fd = openSync(path, 'r');
  try {
    if (fstatSync(fd).size !== bytes.length) throw new Error(`${path}: expected ${bytes.length} bytes`);
    let offset = 0;
    while (offset < bytes.length) offset += readSync(fd, bytes, offset, bytes.length - offset, offset);
  } finally {
    closeSync(fd);
  }
  return out;
}

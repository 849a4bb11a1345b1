import { ROW_KERNELS_WASM } from './row-kernels-wasm.js';

/** The part of the WebAssembly JS API used here (the library compiles without DOM or Node type libraries). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

type Kernel = (x: number, rows: number, cols: number, vector: number, out: number) => void;

const PAGE_BYTES = 65536;
/** Rows per block: about this many bytes of X, so a block stays in L1/L2 between its two passes. */
const BLOCK_BYTES = 16 * 1024;
/** Beyond this much wasm memory (a single row of ~4 M features) the scalar loops are used instead. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;

let compiled: object | null | undefined;

/** The compiled row-kernels module, or null where WebAssembly SIMD is unavailable (compiled once per process). */
function kernelsModule(): object | null {
  if (compiled !== undefined) return compiled;
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  compiled = api?.validate(ROW_KERNELS_WASM) ? new api.Module(ROW_KERNELS_WASM) : null;
  return compiled;
}

/**
 * WebAssembly SIMD versions of the fused pass's two row loops over a block of rows of X copied into wasm memory,
 * bit for bit the scalar `rowDot` / `rowAxpy` of binomial-loss.ts (see row-kernels.wat). Holds no reference to X:
 * only one block of it (about 16 KiB) is ever copied, so a fit's memory does not grow with the data.
 */
export interface RowKernels {
  /** Rows per block: the length of `z` and `g`. */
  readonly blockRows: number;
  /** The block of rows, row-major (blockRows × cols). */
  readonly x: Float64Array;
  /** The weight vector the dot products use (length cols). */
  readonly w: Float64Array;
  /** Output of `dots`: x_r · w for each row of the block. */
  readonly z: Float64Array;
  /** Input of `axpys`: the weight of each row of the block. */
  readonly g: Float64Array;
  /** The accumulator `axpys` adds into (length cols). */
  readonly acc: Float64Array;
  /** z[r] = x_r · w for the first `rows` rows of the block. */
  dots(rows: number): void;
  /** acc += g[r] · x_r for the first `rows` rows of the block, in row order. */
  axpys(rows: number): void;
}

/**
 * Kernels with their buffers for a matrix of `cols` columns and `rows` rows (blocks never exceed `rows`), or
 * undefined where WebAssembly SIMD is unavailable or the buffers would be too large; the caller then keeps to the
 * scalar loops.
 */
export function createRowKernels(rows: number, cols: number): RowKernels | undefined {
  if (rows < 1 || cols < 1) return undefined;
  const module = kernelsModule();
  if (module === null) return undefined;
  const blockRows = Math.max(1, Math.min(rows, Math.floor(BLOCK_BYTES / (8 * cols))));
  const wAt = align16(8 * blockRows * cols);
  const accAt = align16(wAt + 8 * cols);
  const zAt = align16(accAt + 8 * cols);
  const gAt = align16(zAt + 8 * blockRows);
  const total = gAt + 8 * blockRows;
  if (total > MAX_MEMORY_BYTES) return undefined;
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly!;
  const { exports } = new api.Instance(module, {});
  const memory = exports.memory as WasmMemory;
  const pages = Math.ceil(total / PAGE_BYTES);
  if (pages > 1) memory.grow(pages - 1);
  const dots = exports.dots as Kernel;
  const axpys = exports.axpys as Kernel;
  const buffer = memory.buffer;
  return {
    blockRows,
    x: new Float64Array(buffer, 0, blockRows * cols),
    w: new Float64Array(buffer, wAt, cols),
    acc: new Float64Array(buffer, accAt, cols),
    z: new Float64Array(buffer, zAt, blockRows),
    g: new Float64Array(buffer, gAt, blockRows),
    dots: (n) => dots(0, n, cols, wAt, zAt),
    axpys: (n) => axpys(0, n, cols, gAt, accAt),
  };
}

/** The next multiple of 16 bytes (the width of a v128 load). */
function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

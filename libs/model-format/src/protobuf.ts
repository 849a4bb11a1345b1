/** A minimal protobuf wire-format writer: enough for the ONNX messages this package emits. */
export class ProtoWriter {
  private readonly chunks: number[] = [];

  /** Field with wire type 0 (varint); negative numbers are encoded as 64-bit two's complement. */
  varint(field: number, value: number | bigint): this {
    this.key(field, 0);
    this.rawVarint(BigInt.asUintN(64, BigInt(value)));
    return this;
  }

  /** Field with wire type 2 holding UTF-8 text. */
  string(field: number, text: string): this {
    return this.bytes(field, utf8(text));
  }

  /** Field with wire type 2 holding raw bytes. */
  bytes(field: number, data: Uint8Array): this {
    this.key(field, 2);
    this.rawVarint(BigInt(data.length));
    for (const byte of data) this.chunks.push(byte);
    return this;
  }

  /** A nested message (wire type 2). */
  message(field: number, build: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** Field with wire type 5 (32-bit float). */
  float(field: number, value: number): this {
    this.key(field, 5);
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.chunks.push(view.getUint8(i));
    return this;
  }

  /** The encoded bytes. */
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }

  private key(field: number, wireType: number): void {
    this.rawVarint(BigInt((field << 3) | wireType));
  }

  private rawVarint(value: bigint): void {
    let v = value;
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
  }
}

/** UTF-8 bytes of a string (no TextEncoder: this package stays free of platform globals). */
export function utf8(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
  }
  return Uint8Array.from(out);
}

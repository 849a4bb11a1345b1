import type { ProtoWriter } from './protobuf.js';

/** ONNX TensorProto data types this package writes. */
export const ONNX_TYPES = { float: 1, int64: 7, string: 8, bool: 9, double: 11 } as const;

/** An attribute of a node: an int, a string, or a list of ints or strings. */
export type OnnxAttribute =
  | { readonly int: number }
  | { readonly string: string }
  | { readonly ints: readonly number[] }
  | { readonly strings: readonly string[] };

/** Adds a NodeProto to a graph; `domain` is '' (ONNX) or 'ai.onnx.ml'. */
export function onnxNode(
  graph: ProtoWriter,
  op: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Readonly<Record<string, OnnxAttribute>> = {},
  domain = '',
): void {
  graph.message(1, (n) => {
    for (const name of inputs) n.string(1, name);
    for (const name of outputs) n.string(2, name);
    n.string(3, `${op}_${outputs[0]}`);
    n.string(4, op);
    for (const [name, value] of Object.entries(attributes)) n.message(5, (a) => writeAttribute(a, name, value));
    if (domain !== '') n.string(7, domain);
  });
}

function writeAttribute(a: ProtoWriter, name: string, value: OnnxAttribute): void {
  a.string(1, name);
  if ('int' in value) a.varint(3, value.int).varint(20, 2);
  else if ('string' in value) a.string(4, value.string).varint(20, 3);
  else if ('ints' in value) {
    for (const v of value.ints) a.varint(8, v);
    a.varint(20, 7);
  } else {
    for (const v of value.strings) a.string(9, v);
    a.varint(20, 8);
  }
}

/** Adds an initializer (a constant tensor) of doubles, floats or int64s. */
export function onnxTensor(
  graph: ProtoWriter,
  name: string,
  type: 'double' | 'int64' | 'float',
  dims: readonly number[],
  values: readonly number[],
): void {
  graph.message(5, (t) => {
    for (const dim of dims) t.varint(1, dim);
    t.varint(2, ONNX_TYPES[type]);
    t.string(8, name);
    t.bytes(9, rawBytes(type, values));
  });
}

function rawBytes(type: 'double' | 'int64' | 'float', values: readonly number[]): Uint8Array {
  const width = type === 'float' ? 4 : 8;
  const view = new DataView(new ArrayBuffer(values.length * width));
  values.forEach((v, i) => {
    if (type === 'double') view.setFloat64(i * 8, v, true);
    else if (type === 'float') view.setFloat32(i * 4, v, true);
    else view.setBigInt64(i * 8, BigInt(v), true);
  });
  return new Uint8Array(view.buffer);
}

/** Adds a graph input (field 11) or output (field 12) with its element type and shape. */
export function onnxValueInfo(
  graph: ProtoWriter,
  field: 11 | 12,
  name: string,
  elemType: number,
  shape: readonly (string | number)[],
): void {
  graph.message(field, (info) => {
    info.string(1, name);
    info.message(2, (type) =>
      type.message(1, (tensorType) => {
        tensorType.varint(1, elemType);
        tensorType.message(2, (shapeProto) => {
          for (const dim of shape) {
            shapeProto.message(1, (d) => (typeof dim === 'number' ? d.varint(1, dim) : d.string(2, dim)));
          }
        });
      }),
    );
  });
}

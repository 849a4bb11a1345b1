import { float32Bytes, ProtoWriter } from './protobuf.js';

/** ONNX IR version and default-domain opset of the emitted graph (onnxruntime ≥ 1.14 loads them). */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

const FLOAT = 1;
const INT64 = 7;
const ATTRIBUTE_INT = 2;

/** Weights of a binary logistic regression, as the ONNX graph embeds them. */
export interface OnnxLogisticInput {
  readonly coef: readonly number[];
  readonly intercept: number;
  readonly producerName?: string;
  readonly producerVersion?: string;
}

/**
 * A ModelProto computing `probability = sigmoid(input · W + B)` as float32 [N, 1] and `label = probability > 0.5`
 * as int64 [N, 1] — every output [N, 1], as mlflow.pyfunc needs, and nothing pickled.
 */
export function buildOnnxLogisticModel(input: OnnxLogisticInput): Uint8Array {
  const features = input.coef.length;
  const model = new ProtoWriter()
    .varint(1, ONNX_IR_VERSION)
    .string(2, input.producerName ?? 'mlops')
    .string(3, input.producerVersion ?? '0.1.0')
    .message(7, (graph) => writeGraph(graph, input, features))
    .message(8, (opset) => opset.string(1, '').varint(2, ONNX_OPSET));
  return model.finish();
}

function writeGraph(graph: ProtoWriter, input: OnnxLogisticInput, features: number): void {
  node(graph, 'MatMul', ['input', 'W'], ['logit_raw']);
  node(graph, 'Add', ['logit_raw', 'B'], ['logit']);
  node(graph, 'Sigmoid', ['logit'], ['probability']);
  node(graph, 'Greater', ['probability', 'threshold'], ['is_positive']);
  node(graph, 'Cast', ['is_positive'], ['label'], (attr) =>
    attr.string(1, 'to').varint(3, INT64).varint(20, ATTRIBUTE_INT),
  );
  graph.string(2, 'logistic_regression');
  tensor(graph, 'W', [features, 1], input.coef);
  tensor(graph, 'B', [1], [input.intercept]);
  tensor(graph, 'threshold', [1], [0.5]);
  valueInfo(graph, 11, 'input', FLOAT, ['N', features]);
  valueInfo(graph, 12, 'probability', FLOAT, ['N', 1]);
  valueInfo(graph, 12, 'label', INT64, ['N', 1]);
}

function node(
  graph: ProtoWriter,
  op: string,
  inputs: string[],
  outputs: string[],
  attribute?: (attr: ProtoWriter) => void,
): void {
  graph.message(1, (n) => {
    for (const name of inputs) n.string(1, name);
    for (const name of outputs) n.string(2, name);
    n.string(3, `${op}_${outputs[0]}`);
    n.string(4, op);
    if (attribute !== undefined) n.message(5, attribute);
  });
}

function tensor(graph: ProtoWriter, name: string, dims: number[], values: readonly number[]): void {
  graph.message(5, (t) => {
    for (const dim of dims) t.varint(1, dim);
    t.varint(2, FLOAT);
    t.string(8, name);
    t.bytes(9, float32Bytes(values));
  });
}

function valueInfo(
  graph: ProtoWriter,
  field: number,
  name: string,
  elemType: number,
  shape: (string | number)[],
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

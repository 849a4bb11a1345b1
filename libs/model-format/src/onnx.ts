import { ONNX_TYPES, onnxNode, onnxTensor, onnxValueInfo } from './onnx-proto.js';
import { ProtoWriter } from './protobuf.js';

/** ONNX IR version and default-domain opset of the emitted graph (onnxruntime ≥ 1.14 loads them). */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

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
  onnxNode(graph, 'MatMul', ['input', 'W'], ['logit_raw']);
  onnxNode(graph, 'Add', ['logit_raw', 'B'], ['logit']);
  onnxNode(graph, 'Sigmoid', ['logit'], ['probability']);
  onnxNode(graph, 'Greater', ['probability', 'threshold'], ['is_positive']);
  onnxNode(graph, 'Cast', ['is_positive'], ['label'], { to: { int: ONNX_TYPES.int64 } });
  graph.string(2, 'logistic_regression');
  onnxTensor(graph, 'W', 'float', [features, 1], input.coef);
  onnxTensor(graph, 'B', 'float', [1], [input.intercept]);
  onnxTensor(graph, 'threshold', 'float', [1], [0.5]);
  onnxValueInfo(graph, 11, 'input', ONNX_TYPES.float, ['N', features]);
  onnxValueInfo(graph, 12, 'probability', ONNX_TYPES.float, ['N', 1]);
  onnxValueInfo(graph, 12, 'label', ONNX_TYPES.int64, ['N', 1]);
}

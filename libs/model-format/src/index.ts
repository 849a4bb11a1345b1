/**
 * `@mlops/model-format`: the files of a logged model, built and parsed without I/O — the ONNX graph (for MLflow's
 * pyfunc and any ONNX runtime), the MLmodel and environment files, input examples, and our exact weights file.
 */

export { assertOwnDirectory, ModelLocationError } from './location.js';
export type { MlmodelInput, RuntimeVersions } from './mlmodel.js';
export {
  buildCondaYaml,
  buildInputExamples,
  buildMlmodel,
  buildPythonEnvYaml,
  buildRequirementsTxt,
  MODEL_FILES,
} from './mlmodel.js';
export type { OnnxLogisticInput } from './onnx.js';
export { buildOnnxLogisticModel, ONNX_IR_VERSION, ONNX_OPSET } from './onnx.js';
export type { OnnxTableInput } from './onnx-table.js';
export { buildOnnxTableModel, MISSING_TEXT_TOKENS, ONNX_TABLE_OPSET } from './onnx-table.js';
export type { ClassLabel, InputColumnEntry, WeightsFile } from './weights.js';
export { ModelFormatError, parseWeights, serializeWeights, WEIGHTS_FORMAT } from './weights.js';
export type { WeightsModel } from './weights-model.js';
export { modelFromWeights } from './weights-model.js';

import {
  buildCondaYaml,
  buildInputExamples,
  buildMlmodel,
  buildOnnxLogisticModel,
  buildPythonEnvYaml,
  buildRequirementsTxt,
  MODEL_FILES,
  type RuntimeVersions,
  serializeWeights,
} from '@mlops/model-format';
import type { ModelFilesBuilder } from './ports.js';

/** Builds every file of a trial's model: ONNX + MLmodel for MLflow's Python client, weights.json for our predictor. */
export function modelFilesBuilder(versions: RuntimeVersions): ModelFilesBuilder {
  return ({ modelId, runId, artifactUri, event, inputExample }) => {
    const names = event.model.feature_names;
    const onnx = buildOnnxLogisticModel({ coef: event.model.coef, intercept: event.model.intercept });
    const examples = buildInputExamples(names, inputExample);
    return {
      [MODEL_FILES.weights]: serializeWeights({
        classes: event.model.classes,
        coef: event.model.coef,
        intercept: event.model.intercept,
        feature_names: names,
        solver: event.params.solver,
        params: event.params,
        metrics: event.metrics,
        trained_at: event.ended_at,
        dataset_digest: event.dataset_digest,
      }),
      [MODEL_FILES.onnx]: onnx,
      [MODEL_FILES.mlmodel]: buildMlmodel({
        modelId,
        runId,
        artifactPath: artifactUri,
        featureNames: names,
        createdAt: new Date(event.ended_at),
        versions,
        modelSizeBytes: onnx.length,
        hasInputExample: inputExample.length > 0,
      }),
      [MODEL_FILES.conda]: buildCondaYaml(versions),
      [MODEL_FILES.pythonEnv]: buildPythonEnvYaml(versions),
      [MODEL_FILES.requirements]: buildRequirementsTxt(versions),
      ...(inputExample.length > 0
        ? {
            [MODEL_FILES.inputExample]: examples.inputExample,
            [MODEL_FILES.servingInputExample]: examples.servingInputExample,
          }
        : {}),
    };
  };
}

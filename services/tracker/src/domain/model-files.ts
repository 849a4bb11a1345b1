import type { EventData } from '@mlops/contracts';
import {
  buildCondaYaml,
  buildInputExamples,
  buildMlmodel,
  buildOnnxLogisticModel,
  buildOnnxTableModel,
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
    const { model } = event;
    const names = model.feature_names;
    const table = tableParts(model);
    const onnx =
      table === undefined
        ? buildOnnxLogisticModel({ coef: model.coef, intercept: model.intercept })
        : buildOnnxTableModel({ ...table, coef: model.coef, intercept: model.intercept });
    const examples = buildInputExamples(table?.columns.map((c) => c.name) ?? names, inputExample);
    return {
      [MODEL_FILES.weights]: serializeWeights({
        classes: model.classes,
        coef: model.coef,
        intercept: model.intercept,
        feature_names: names,
        ...(table === undefined
          ? {}
          : { input_columns: table.columns, preprocessing: table.preprocessing, class_labels: table.classLabels }),
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
        ...(table === undefined
          ? {}
          : {
              table: {
                columns: table.columns,
                labelType: typeof table.classLabels[0] === 'string' ? ('string' as const) : ('double' as const),
              },
            }),
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

/** A table model's columns, preprocessing and class labels (its own labels, or its numeric classes). */
function tableParts(model: EventData<'run.completed'>['model']) {
  if (model.input_columns === undefined || model.preprocessing === undefined) return undefined;
  return {
    columns: model.input_columns,
    preprocessing: model.preprocessing,
    classLabels: model.class_labels ?? model.classes,
  };
}

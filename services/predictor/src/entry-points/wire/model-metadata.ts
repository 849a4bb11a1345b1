import type { ServedModel } from '../../domain/served-model.js';

/** `GET /model`: identity, signature and training record of the served model. */
export function describeModel(served: ServedModel) {
  const textLabels = hasTextLabels(served);
  return {
    name: served.name,
    version: served.version,
    alias: served.alias,
    run_id: served.runId,
    model_uri: served.modelUri,
    feature_names: served.featureNames,
    classes: served.model.classes,
    ...(served.classLabels === undefined ? {} : { class_labels: served.classLabels }),
    ...(served.table === undefined ? {} : { input_columns: served.table.columns }),
    signature: {
      inputs:
        served.table === undefined
          ? served.featureNames.map((name) => ({ name, type: 'double', required: true }))
          : served.table.columns.map((c) => ({
              name: c.name,
              type: c.kind === 'text' ? 'string' : 'double',
              required: true,
            })),
      outputs: [
        { name: 'probability', type: 'double' },
        { name: 'label', type: textLabels ? 'string' : 'long' },
        { name: 'prediction_id', type: 'string' },
      ],
    },
    training: {
      solver: served.training.solver,
      params: served.training.params,
      metrics: served.training.metrics,
      trained_at: served.training.trainedAt,
    },
    loaded_at: served.loadedAt.toISOString(),
  };
}

/** `GET /v2/models/{name}[/versions/{version}]`: the Open Inference Protocol's model metadata. */
export function oipMetadata(served: ServedModel) {
  return {
    name: served.name,
    versions: [served.version],
    platform: 'mlops-logistic-regression',
    inputs:
      served.table === undefined
        ? [{ name: 'input', datatype: 'FP64', shape: [-1, served.featureNames.length] }]
        : served.table.columns.map((c) => ({
            name: c.name,
            datatype: c.kind === 'text' ? 'BYTES' : 'FP64',
            shape: [-1],
          })),
    outputs: [
      { name: 'probability', datatype: 'FP64', shape: [-1, 1] },
      { name: 'label', datatype: hasTextLabels(served) ? 'BYTES' : 'INT64', shape: [-1, 1] },
      { name: 'prediction_id', datatype: 'BYTES', shape: [-1, 1] },
    ],
  };
}

/** Whether answers carry the target's text labels instead of class numbers. */
export function hasTextLabels(served: ServedModel): boolean {
  return served.classLabels !== undefined && typeof served.classLabels[0] === 'string';
}

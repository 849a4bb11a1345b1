import type { ServedModel } from '../../domain/served-model.js';

/** `GET /model`: identity, signature and training record of the served model. */
export function describeModel(served: ServedModel) {
  return {
    name: served.name,
    version: served.version,
    alias: served.alias,
    run_id: served.runId,
    model_uri: served.modelUri,
    feature_names: served.featureNames,
    classes: served.model.classes,
    signature: {
      inputs: served.featureNames.map((name) => ({ name, type: 'double', required: true })),
      outputs: [
        { name: 'probability', type: 'double' },
        { name: 'label', type: 'long' },
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
    inputs: [{ name: 'input', datatype: 'FP64', shape: [-1, served.featureNames.length] }],
    outputs: [
      { name: 'probability', datatype: 'FP64', shape: [-1, 1] },
      { name: 'label', datatype: 'INT64', shape: [-1, 1] },
      { name: 'prediction_id', datatype: 'BYTES', shape: [-1, 1] },
    ],
  };
}

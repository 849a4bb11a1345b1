/** File names of a logged model directory. */
export const MODEL_FILES = {
  mlmodel: 'MLmodel',
  onnx: 'model.onnx',
  weights: 'weights.json',
  conda: 'conda.yaml',
  pythonEnv: 'python_env.yaml',
  requirements: 'requirements.txt',
  inputExample: 'input_example.json',
  servingInputExample: 'serving_input_example.json',
  /** The training split's profile, what the monitor measures drift against (versions since issue 13). */
  referenceProfile: 'reference_profile.json',
} as const;

/** Versions written into the MLmodel and environment files. */
export interface RuntimeVersions {
  readonly mlflow: string;
  readonly onnx: string;
  readonly onnxruntime: string;
  readonly python: string;
}

/** What the MLmodel file describes. */
export interface MlmodelInput {
  readonly modelId: string;
  readonly runId: string;
  readonly artifactPath: string;
  readonly featureNames: readonly string[];
  readonly createdAt: Date;
  readonly versions: RuntimeVersions;
  readonly modelSizeBytes?: number;
  readonly hasInputExample: boolean;
  /** A table model: its raw columns (the signature's inputs) and the type of its `label` output. */
  readonly table?: {
    readonly columns: readonly { readonly name: string; readonly kind: 'number' | 'text' }[];
    readonly labelType: 'string' | 'double';
  };
}

/** The MLmodel YAML with the `onnx` and `python_function` flavors, so `mlflow.pyfunc.load_model` loads it. */
export function buildMlmodel(input: MlmodelInput): string {
  const { inputs, outputs } = signatureOf(input);
  const lines = [
    `artifact_path: ${quote(input.artifactPath)}`,
    'flavors:',
    '  onnx:',
    '    code: null',
    `    data: ${MODEL_FILES.onnx}`,
    `    onnx_version: ${quote(input.versions.onnx)}`,
    '    providers:',
    '    - CPUExecutionProvider',
    '  python_function:',
    `    data: ${MODEL_FILES.onnx}`,
    '    env:',
    `      conda: ${MODEL_FILES.conda}`,
    `      virtualenv: ${MODEL_FILES.pythonEnv}`,
    '    loader_module: mlflow.onnx',
    `    python_version: ${quote(input.versions.python)}`,
    `mlflow_version: ${quote(input.versions.mlflow)}`,
    `model_id: ${quote(input.modelId)}`,
    ...(input.modelSizeBytes === undefined ? [] : [`model_size_bytes: ${input.modelSizeBytes}`]),
    `model_uuid: ${quote(input.modelId)}`,
    `run_id: ${quote(input.runId)}`,
    ...(input.hasInputExample
      ? [
          'saved_input_example_info:',
          `  artifact_path: ${MODEL_FILES.inputExample}`,
          '  pandas_orient: split',
          `  serving_input_path: ${MODEL_FILES.servingInputExample}`,
          '  type: dataframe',
        ]
      : []),
    'signature:',
    `  inputs: ${quote(inputs)}`,
    `  outputs: ${quote(outputs)}`,
    '  params: null',
    `utc_time_created: ${quote(utcTime(input.createdAt))}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The signature: named double columns and float32 outputs, or a table's typed raw columns and float64 outputs. */
function signatureOf(input: MlmodelInput): { inputs: string; outputs: string } {
  const tensor = (name: string, dtype: string) => ({ type: 'tensor', name, 'tensor-spec': { dtype, shape: [-1, 1] } });
  if (input.table === undefined) {
    return {
      inputs: JSON.stringify(input.featureNames.map((name) => ({ type: 'double', name, required: true }))),
      outputs: JSON.stringify([tensor('probability', 'float32'), tensor('label', 'int64')]),
    };
  }
  const columns = input.table.columns.map((c) => ({
    type: c.kind === 'text' ? 'string' : 'double',
    name: c.name,
    required: true,
  }));
  const label = input.table.labelType === 'string' ? 'str' : 'float64';
  return {
    inputs: JSON.stringify(columns),
    outputs: JSON.stringify([tensor('probability', 'float64'), tensor('label', label)]),
  };
}

/**
 * pandas 3 reads text as its `str` dtype, which MLflow's ONNX flavor cannot feed to a text input ("Input must be a
 * list of dictionaries or a single numpy array"): the model's environment keeps pandas 2, where text is `object`.
 */
const PANDAS_REQUIREMENT = 'pandas<3';

/** `requirements.txt` for the pyfunc environment. */
export function buildRequirementsTxt(versions: RuntimeVersions): string {
  return `mlflow==${versions.mlflow}\nonnx==${versions.onnx}\nonnxruntime==${versions.onnxruntime}\n${PANDAS_REQUIREMENT}\n`;
}

/** `python_env.yaml` (virtualenv env manager). */
export function buildPythonEnvYaml(versions: RuntimeVersions): string {
  return `python: ${versions.python}\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n`;
}

/** `conda.yaml` (conda env manager). */
export function buildCondaYaml(versions: RuntimeVersions): string {
  return [
    'channels:',
    '- conda-forge',
    'dependencies:',
    `- python=${versions.python}`,
    '- pip',
    '- pip:',
    `  - mlflow==${versions.mlflow}`,
    `  - onnx==${versions.onnx}`,
    `  - onnxruntime==${versions.onnxruntime}`,
    `  - ${PANDAS_REQUIREMENT}`,
    'name: mlflow-env',
    '',
  ].join('\n');
}

/** `input_example.json` (pandas split orient) and `serving_input_example.json` (the scoring-server body). */
export function buildInputExamples(
  featureNames: readonly string[],
  rows: readonly (readonly (number | string | null)[])[],
) {
  const split = { columns: [...featureNames], data: rows.map((r) => [...r]) };
  return {
    inputExample: JSON.stringify(split),
    servingInputExample: JSON.stringify({ dataframe_split: split }, null, 2),
  };
}

/** A YAML single-quoted scalar. */
function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function utcTime(date: Date): string {
  return `${date.toISOString().replace('T', ' ').replace('Z', '')}000`;
}

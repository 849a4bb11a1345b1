import { ConfigError } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

/** The problems of the ConfigError loadConfig throws for `env`, or undefined when it loads. */
function problemsOf(env: Record<string, string>): string[] | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

/** Each version variable and the runtime entry it sets. */
const VERSION_VARIABLES = [
  ['TRACKER_MODEL_MLFLOW_VERSION', 'mlflow'],
  ['TRACKER_MODEL_ONNX_VERSION', 'onnx'],
  ['TRACKER_MODEL_ONNXRUNTIME_VERSION', 'onnxruntime'],
  ['TRACKER_MODEL_PYTHON_VERSION', 'python'],
] as const;

const NOT_A_VERSION = "must be a version such as 3.17.2 (it is written into each model's requirements)";

describe("the versions written into each model's files", () => {
  it.each(
    VERSION_VARIABLES,
  )('when %s is empty, multi-line or a specifier, then loading fails naming it, as not a version', (name) => {
    const refused = ['', '3.17.2\nnumpy==1.0', '>=3.17', '3.17.2; os_name', '3.17, 3.18', '"3.17"', '3 17', '3.17#x'];
    expect(refused.map((text) => problemsOf({ [name]: text }))).toEqual(
      refused.map(() => [`${name}: ${NOT_A_VERSION}`]),
    );
    expect(() => loadConfig({ [name]: '' })).toThrow(ConfigError);
  });

  it.each(VERSION_VARIABLES)('when %s is a version as pip takes it, then it is the one written', (name, entry) => {
    const accepted = ['3.11', '3.17.2', '1.23.2', '2.0.0rc1', '1.19.1+cpu', '1!2.0.post1', '3.*', '1.0_dev-1'];
    expect(accepted.map((text) => loadConfig({ [name]: text }).runtime[entry])).toEqual(accepted);
  });

  it('when the versions are unset, then the defaults are written', () => {
    expect(loadConfig({}).runtime).toEqual({ mlflow: '3.17.2', onnx: '1.19.1', onnxruntime: '1.23.2', python: '3.11' });
  });
});

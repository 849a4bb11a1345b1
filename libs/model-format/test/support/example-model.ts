/** The versions written into the example model's MLmodel and environment files. */
export const VERSIONS = { mlflow: '3.17.2', onnx: '1.19.1', onnxruntime: '1.23.2', python: '3.11.7' };
/** The example model's coefficients, one per feature of NAMES. */
export const COEF = [0.5, -1.25, 2, 0.125];
/** The example model's intercept. */
export const INTERCEPT = -0.3;
/** The example model's feature names. */
export const NAMES = ['x0', 'x1', 'x2', 'x3'];

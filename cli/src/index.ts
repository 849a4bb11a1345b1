/** `@mlops/cli`: the `mlops` command line, callable in-process for tests and embedding. */

export type { CliIo } from './io.js';
export { main } from './main.js';

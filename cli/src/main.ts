import { InvalidParameterError, MlError } from '@mlops/ml';
import { DATASET_USAGE, datasetCommand } from './commands/dataset.js';
import { demoCommand } from './commands/demo.js';
import { DOWN_USAGE, downCommand } from './commands/down.js';
import { FIT_USAGE, fitCommand } from './commands/fit.js';
import { FEEDBACK_USAGE, feedbackCommand, MONITOR_USAGE, monitorCommand } from './commands/monitor.js';
import { PREDICT_USAGE, predictCommand } from './commands/predict.js';
import {
  MODELS_USAGE,
  modelsCommand,
  PROMOTE_USAGE,
  promoteCommand,
  REGISTRY_USAGE,
  ROLLBACK_USAGE,
  rollbackCommand,
} from './commands/registry.js';
import { HISTORY_USAGE, historyCommand, RETRAIN_USAGE, retrainCommand } from './commands/retrain.js';
import { STATUS_USAGE, statusCommand } from './commands/status.js';
import { TRAFFIC_USAGE, trafficCommand } from './commands/traffic.js';
import { TUNE_USAGE, tuneCommand } from './commands/tune.js';
import { UP_USAGE, upCommand } from './commands/up.js';
import { UsageError } from './errors.js';
import type { CliIo } from './io.js';

const USAGE = `usage: mlops <command> [options]
commands:
  dataset make-classification   generate scikit-learn's make_classification data as CSV
  dataset customers             write a seeded churn table (ids, categories, gaps, yes/no labels) as CSV
  fit                           fit one logistic regression on a CSV and print JSON
  demo                          run the seed experiment offline and print the results table
  up                            run the whole local stack and the default tuning (the quick start)
  down                          stop the stack mlops up runs (from any terminal), and what a killed one left running
  status                        the stack's processes, endpoints, champion and last tunings
  tune                          run a tuning on the stack: progress, results table, registered version
  predict                       send rows to the running predictor's POST /predict
  models                        the registered versions: metric, gate verdict, aliases, tuning
  promote                       move champion to a version (with a reason)
  rollback                      move champion back to the previous champion
  monitor                       drift per feature (or raw column) and live performance of the served versions
  feedback                      send true labels (CSV of prediction_id,label) for live performance
  retrain                       retrain the served version now on its labelled live rows (the gate decides)
  history                       past retrains, newest first: trigger, data set, tuning, version, verdict
  traffic                       serve the seed rows (shifted, labelled) and watch drift, retrain and promotion live
  help                          this text
Commands that talk to NATS take --nats URL, else NATS_URL, else the address mlops up recorded in
$MLOPS_DATA_DIR/stack.json (when MLOPS_DATA_DIR is set: a stack started with mlops up --data-dir DIR), else in
data/stack.json, else nats://127.0.0.1:4222 (a stack recorded there but stopped is refused, not replaced by that
port: it may be another stack's; unless the stopped stack ran on the quick start's ports). predict and traffic find the predictor there too; down and status take
MLOPS_DATA_DIR as the default of --data-dir.

${DATASET_USAGE}

${FIT_USAGE}

${UP_USAGE}

${DOWN_USAGE}

${STATUS_USAGE}

${TUNE_USAGE}

${PREDICT_USAGE}

${REGISTRY_USAGE}

${MONITOR_USAGE}
${FEEDBACK_USAGE}

${RETRAIN_USAGE}
${HISTORY_USAGE}

${TRAFFIC_USAGE}`;

/** Each command's own help, printed by `mlops <command> --help` (demo takes no options: the overview names it). */
const COMMAND_USAGE: Record<string, string> = {
  dataset: DATASET_USAGE,
  fit: FIT_USAGE,
  demo: 'usage: mlops demo\nRuns the seed experiment offline (no stack needed) and prints the results table.',
  up: UP_USAGE,
  down: DOWN_USAGE,
  status: STATUS_USAGE,
  tune: TUNE_USAGE,
  predict: PREDICT_USAGE,
  models: MODELS_USAGE,
  promote: PROMOTE_USAGE,
  rollback: ROLLBACK_USAGE,
  monitor: MONITOR_USAGE,
  feedback: FEEDBACK_USAGE,
  retrain: RETRAIN_USAGE,
  history: HISTORY_USAGE,
  traffic: TRAFFIC_USAGE,
};

type Command = (args: string[], io: CliIo) => Promise<number>;
const COMMANDS: Record<string, Command> = {
  dataset: datasetCommand,
  fit: fitCommand,
  demo: demoCommand,
  predict: predictCommand,
  models: modelsCommand,
  promote: promoteCommand,
  rollback: rollbackCommand,
  monitor: monitorCommand,
  feedback: feedbackCommand,
  retrain: retrainCommand,
  history: historyCommand,
  traffic: trafficCommand,
  tune: tuneCommand,
  up: upCommand,
  down: downCommand,
  status: statusCommand,
};

/** Runs one CLI invocation and returns its exit code; expected failures print one line to stderr, no stack. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    // `mlops help tune`: that command's usage; the overview otherwise.
    io.stdout(`${COMMAND_USAGE[args[0] ?? ''] ?? USAGE}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  const help = COMMAND_USAGE[name];
  if (help !== undefined && (args.includes('--help') || args.includes('-h'))) {
    io.stdout(`${help}\n`);
    return 0;
  }
  try {
    if (command === undefined) throw new UsageError(`unknown command "${name}" (try: mlops help)`);
    return await command(args, io);
  } catch (err) {
    const { message, code } = describeFailure(err, args, name);
    io.stderr(`mlops ${name}: ${message}\n`);
    return code;
  }
}

function describeFailure(err: unknown, args: readonly string[], name: string): { message: string; code: number } {
  if (err instanceof UsageError) return { message: err.message, code: err.exitCode };
  if (err instanceof InvalidParameterError) {
    const flag = flagOf(err, args);
    if (flag !== undefined) return { message: flagMessage(flag, err), code: 2 };
  }
  if (err instanceof MlError) return { message: err.message, code: 1 };
  if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
    return { message: `${err.message.replace(/\s*\n\s*/g, ' ')} (see mlops ${name} --help)`, code: 2 };
  }
  throw err;
}

/** Library parameter names the CLI's flags spell otherwise (scikit-learn's names are kebab-cased for the rest). */
const RENAMED_PARAMETERS: Record<string, string> = {
  nSamples: 'rows',
  missingRate: 'missing',
  test_size: 'split',
  train_size: 'split',
};

/**
 * The flag a library parameter came from: one this command line gives with that very value (a value derived from
 * others, or given by another flag, is not named as this one's), or for a missing value one it lacks.
 */
function flagOf(err: InvalidParameterError, args: readonly string[]): string | undefined {
  const flag = RENAMED_PARAMETERS[err.parameter] ?? err.parameter.replace(/^n_/, '').replaceAll('_', '-');
  if (err.value === undefined)
    return args.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`)) ? undefined : flag;
  const values = args.flatMap((a, i) => {
    if (a.startsWith(`--${flag}=`)) return [a.slice(flag.length + 3)];
    return a === `--${flag}` && args[i + 1] !== undefined ? [args[i + 1] as string] : [];
  });
  const same = (text: string) => text === String(err.value) || (text.trim() !== '' && Number(text) === err.value);
  return values.some(same) ? flag : undefined;
}

function flagMessage(flag: string, err: InvalidParameterError): string {
  if (err.value === undefined) return `--${flag} is required here: ${err.allowed}`;
  // The library's C may be Infinity; a flag cannot give it (a request carries no Infinity): --penalty none can.
  const allowed = err.allowed.replace('(Infinity means no penalty)', '(for no penalty: --penalty none)');
  return `--${flag} ${JSON.stringify(err.value) ?? String(err.value)}: ${allowed}`;
}

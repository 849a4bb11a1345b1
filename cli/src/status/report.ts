import { dirname, isAbsolute, relative } from 'node:path';
import type { EndpointStatus, ProcessStatus, StackSection } from './probes.js';
import type { ModelSection, TuningRow, TuningsSection } from './registry.js';

/** Everything `mlops status` found out. */
export interface StatusReport {
  readonly stack: StackSection;
  readonly endpoints: readonly EndpointStatus[];
  readonly model: ModelSection | undefined;
  readonly tunings: TuningsSection | undefined;
}

/** The report as text: the stack's processes, the endpoints, the champion, the last tunings. */
export function statusText(report: StatusReport, cwd: string): string {
  return [
    ...stackLines(report.stack, cwd),
    'endpoints:',
    ...table(report.endpoints.map((e) => [e.name, e.url, e.result.reachable ? e.result.detail : e.result.problem])),
    ...modelLines(report.model),
    ...servedLines(report.model, report.endpoints),
    ...tuningLines(report.tunings, report.model?.kind === 'model' ? report.model.name : undefined),
  ].join('\n');
}

/**
 * A predictor serving another version than the champion says so: it could not load the champion (it keeps serving
 * the last version it could), or has not reloaded yet.
 */
function servedLines(model: StatusReport['model'], endpoints: readonly EndpointStatus[]): string[] {
  if (model?.kind !== 'model' || model.champion === null) return [];
  const served = endpoints.find((e) => e.served !== undefined)?.served;
  if (served === undefined || (served.name === model.name && served.version === model.champion.version)) return [];
  if (served.name !== model.name) {
    return [
      `  WARNING: the predictor serves ${served.name} version ${served.version}, not ${model.name}: its MODEL_NAME differs from the model this status reads (--name)`,
    ];
  }
  return [
    `  WARNING: the predictor serves version ${served.version}, not the champion ${model.champion.version}: it could not load it (see the predictor's log and model.load_failed on MODELS) or has not reloaded yet`,
  ];
}

/** True when at least one endpoint or process answered: `mlops status` fails only when nothing does. */
export function anythingReachable(report: StatusReport): boolean {
  const processes = report.stack.kind === 'state' ? report.stack.processes : [];
  return report.endpoints.some((e) => e.result.reachable) || processes.some((p) => p.healthy);
}

function stackLines(stack: StackSection, cwd: string): string[] {
  const file = short(stack.file, cwd);
  if (stack.kind === 'none')
    return [`no local stack state: ${file} does not exist (mlops up writes it; see --data-dir)`];
  if (stack.kind === 'unreadable') return [`local stack state unreadable: ${stack.problem}`];
  const { state } = stack;
  // A stack whose mlops up is gone (SIGKILL, out of memory) runs no more as a stack: what it left may still run.
  const orphaned = ['starting', 'running', 'stopping'].includes(state.state) && !stack.supervisorAlive;
  const lifecycle = orphaned
    ? `left ${state.state} by mlops up pid ${state.pid}, which is gone`
    : `${state.state}, mlops up pid ${state.pid}`;
  const head = `local stack (${file}): ${lifecycle}, started ${when(state.started_at)}`;
  const gone = orphaned
    ? [
        `  the states below are as mlops up last wrote them at ${when(state.updated_at)}; mlops down here stops what it left running (so does mlops up here again)`,
      ]
    : [];
  const header = ['process', 'state', 'pid', 'restarts', 'health', 'last exit'];
  const why = state.state === 'failed' ? [failure(stack.processes)] : [];
  const rows = stack.processes.map((p) => processRow(p));
  const logs = stack.processes[0] === undefined ? [] : [`  logs: ${short(dirname(stack.processes[0].log), cwd)}/`];
  return [head, ...gone, ...why, ...table([header, ...rows]), ...logs];
}

/** Why a stack failed: the process it gave up on (a crash loop) and its last exit, or a start-up that failed. */
function failure(processes: readonly ProcessStatus[]): string {
  const failed = processes.filter((p) => p.state === 'failed');
  if (failed.length === 0) return '  mlops up failed to start it (its output said why; see the logs)';
  const atStart = failed.filter((p) => p.restarts === 0 && p.last_exit !== null);
  if (atStart.length === failed.length) {
    const which = atStart.map((p) => `${p.name} (${p.last_exit!.reason})`);
    return `  mlops up could not start ${which.join(', ')}, and stopped the stack: see its log`;
  }
  const which = failed.map((p) => `${p.name}${p.last_exit === null ? '' : ` (last: ${p.last_exit.reason})`}`);
  return `  mlops up gave up on ${which.join(', ')}, a crash loop, and stopped the stack: see its log`;
}

function processRow(p: ProcessStatus): string[] {
  const exit = p.last_exit === null ? '-' : `${when(p.last_exit.at)} ${p.last_exit.reason}`;
  return [p.name, p.state, p.pid === null ? '-' : String(p.pid), String(p.restarts), healthOf(p), exit];
}

/** A stopped process not answering is no news; one meant to run says what its probe met. */
function healthOf(p: ProcessStatus): string {
  if (p.healthy) return 'answering';
  if (p.state === 'stopped' || p.state === 'failed') return '-';
  return `NOT ANSWERING (${p.healthProblem ?? 'no reason known'})`;
}

function modelLines(model: ModelSection | undefined): string[] {
  if (model === undefined) return ['champion: unknown (MLflow not reachable)'];
  if (model.kind === 'unavailable') return [`champion: MLflow registry query failed: ${model.problem}`];
  if (!model.registered) return [`champion: ${model.name} is not registered yet (no tuning has finished)`];
  const aliases =
    model.aliases.length === 0 ? 'none' : model.aliases.map((a) => `${a.alias} → v${a.version}`).join(', ');
  const champion = model.champion;
  if (champion === null) return [`champion of ${model.name}: none (aliases: ${aliases})`];
  const metric = champion.metric === null ? '' : `${champion.metric.name} ${roundedMetric(champion.metric.value)}, `;
  const tuning = champion.tuningId === null ? 'no tuning tag' : `tuning ${champion.tuningId}`;
  return [`champion of ${model.name}: version ${champion.version} (${metric}${tuning}); aliases: ${aliases}`];
}

/** The tunings table; a version of another model than `model` is named with it, and a failed tuning's why follows. */
function tuningLines(tunings: TuningsSection | undefined, model: string | undefined): string[] {
  if (tunings === undefined) return ['last tunings: unknown (MLflow not reachable)'];
  if (tunings.kind === 'unavailable') return [`last tunings: MLflow query failed: ${tunings.problem}`];
  if (!tunings.found) return [`last tunings: experiment ${tunings.experiment} does not exist yet`];
  if (tunings.rows.length === 0) return [`last tunings: none in experiment ${tunings.experiment} yet`];
  const header = ['started', 'status', 'trials', 'best', 'version', 'tuning'];
  const failures = tunings.rows
    .filter((t) => t.failure !== null)
    .map((t) => `  ${t.tuningId}: nothing registered: ${t.failure}`);
  return [
    `last tunings in experiment ${tunings.experiment}, newest first:`,
    ...table([header, ...tunings.rows.map((t) => tuningRow(t, model))]),
    ...failures,
  ];
}

function tuningRow(t: TuningRow, model: string | undefined): string[] {
  const version =
    t.version === null ? '-' : t.model !== null && t.model !== model ? `${t.model} v${t.version}` : t.version;
  const trials =
    t.trials === null ? '-' : t.recorded === null ? String(t.trials) : `${t.recorded}/${t.trials} recorded`;
  return [
    t.startedAt === undefined ? '-' : when(new Date(t.startedAt).toISOString()),
    t.status,
    trials,
    t.best === null ? '-' : `${t.best.name}=${Number(t.best.value.toFixed(4))}${t.best.cv ? ' (cv mean)' : ''}`,
    version,
    t.tuningId,
  ];
}

/** Rows as aligned columns, indented by two spaces. */
function table(rows: readonly string[][]): string[] {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, j) => Math.max(w[j] ?? 0, cell.length)), []);
  return rows.map((row) => `  ${row.map((cell, j) => cell.padEnd(widths[j] ?? 0)).join('  ')}`.trimEnd());
}

/** An ISO time as `YYYY-MM-DD hh:mm:ss` (UTC, as the other commands print times). */
function when(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

function short(path: string, cwd: string): string {
  const inside = relative(cwd, path);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}

/** A metric as MLflow keeps it (text, full precision), in 4 decimals as every other table of the CLI shows it. */
function roundedMetric(value: string): string {
  const number = Number(value);
  return Number.isFinite(number) && value.trim() !== '' ? String(Number(number.toFixed(4))) : value;
}

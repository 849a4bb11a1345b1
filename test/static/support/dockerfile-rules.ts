import { effective, execForm, isPinnedImage, parseDockerfile, type Stage, stageChain } from './dockerfile.js';

/** What the Dockerfile must provide for. */
export interface DockerfileExpectations {
  /** Workspace directories (`libs/ml`, `services/trainer`, ...): each manifest must reach `npm ci`. */
  readonly workspaces: readonly string[];
  /** Service names: each must be a target running `node services/<name>/dist/main.js` as a non-root user. */
  readonly services: readonly string[];
  /** The project's Node (`.node-version`, e.g. `24.22.3`): every `node` base image is that exact version. */
  readonly nodeVersion: string;
}

/** Every problem of a Dockerfile against the project's rules; empty when it passes. */
export function checkDockerfile(text: string, expect: DockerfileExpectations): string[] {
  const stages = parseDockerfile(text);
  if (stages.length === 0) return ['no FROM: not a Dockerfile'];
  return [
    ...baseImageProblems(stages),
    ...nodeImageProblems(stages, expect.nodeVersion),
    ...installProblems(stages, expect.workspaces),
    ...expect.services.flatMap((service) => targetProblems(stages, service)),
  ];
}

function baseImageProblems(stages: readonly Stage[]): string[] {
  const names = new Set(stages.map((s) => s.name));
  return stages
    .filter((s) => !names.has(s.base) && !isPinnedImage(s.base))
    .map((s) => `FROM ${s.base}: base images are pinned to a full version (or a digest)`);
}

function nodeImageProblems(stages: readonly Stage[], nodeVersion: string): string[] {
  const nodeBases = stages.map((s) => s.base).filter((base) => /^(docker\.io\/)?(library\/)?node[:@]/.test(base));
  if (nodeBases.length === 0) return ['no stage is built FROM a node image'];
  return nodeBases
    .filter((base) => !base.split(':')[1]?.startsWith(`${nodeVersion}-`) && base.split(':')[1] !== nodeVersion)
    .map((base) => `FROM ${base}: the node image must be Node ${nodeVersion} (.node-version)`);
}

function runs(stage: Stage, pattern: RegExp): boolean {
  return stage.instructions.some((i) => i.keyword === 'RUN' && pattern.test(i.args));
}

function installProblems(stages: readonly Stage[], workspaces: readonly string[]): string[] {
  const problems: string[] = [];
  const copied = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args));
  for (const manifest of ['package.json', 'package-lock.json', ...workspaces.map((w) => `${w}/package.json`)]) {
    const pattern = new RegExp(`(^|\\s)${manifest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`);
    if (!copied.some((args) => pattern.test(args))) problems.push(`${manifest} is never copied before npm ci`);
  }
  if (stages.some((s) => runs(s, /\bnpm (install|i)\b/)))
    problems.push('npm install: use npm ci (the lockfile, exactly)');
  if (!stages.some((s) => runs(s, /\btsc -b\b/))) problems.push('no stage compiles with tsc -b');
  if (!stages.some((s) => runs(s, /\bnpm ci\b.*--omit=dev/)))
    problems.push('no stage installs production dependencies only (npm ci --omit=dev)');
  return problems;
}

function targetProblems(stages: readonly Stage[], service: string): string[] {
  const chain = stageChain(stages, service);
  if (chain.length === 0) return [`no target ${service} (FROM ... AS ${service})`];
  const problems: string[] = [];
  const cmd = effective(chain, 'CMD');
  const wanted = ['node', `services/${service}/dist/main.js`];
  if (JSON.stringify(execForm(cmd?.args ?? '')) !== JSON.stringify(wanted))
    problems.push(`target ${service}: CMD must be ${JSON.stringify(wanted)} (exec form), not ${cmd?.args ?? 'unset'}`);
  const user = effective(chain, 'USER')?.args.split(':')[0];
  if (user === undefined || user === 'root' || user === '0')
    problems.push(`target ${service}: runs as ${user ?? 'root (no USER)'}; services run as a non-root user`);
  problems.push(...nodeModulesProblems(stages, chain, service));
  return problems;
}

/** node_modules in a target must come from a stage that installed production dependencies only. */
function nodeModulesProblems(stages: readonly Stage[], chain: readonly Stage[], service: string): string[] {
  const copies = chain.flatMap((s) =>
    s.instructions.filter((i) => i.keyword === 'COPY' && /\bnode_modules\b/.test(i.args)),
  );
  if (copies.length === 0) return [`target ${service}: no node_modules copied in (production dependencies)`];
  return copies.flatMap((copy) => {
    const from = /--from=(\S+)/.exec(copy.args)?.[1];
    const source = from === undefined ? undefined : stageChain(stages, from);
    const prodOnly = source?.some((s) => runs(s, /\bnpm ci\b.*--omit=dev/)) === true;
    const full = source?.some((s) => runs(s, /\bnpm ci\b(?!.*--omit=dev)/)) === true;
    return prodOnly && !full
      ? []
      : [
          `target ${service}: line ${copy.line} copies node_modules from ${from ?? 'the build context'}, not production-only`,
        ];
  });
}

/** One Dockerfile instruction, continuation lines joined. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** One build stage: `FROM <base> [AS <name>]` and what follows it. */
export interface Stage {
  readonly name: string | undefined;
  readonly base: string;
  readonly instructions: readonly Instruction[];
}

/** Parses the instructions of a Dockerfile (comments and parser directives dropped, `\` continuations joined). */
export function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending !== '' && line.startsWith('#')) return;
    if (pending === '') start = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      return;
    }
    const full = `${pending}${line}`.trim();
    pending = '';
    const space = full.search(/\s/);
    const keyword = (space < 0 ? full : full.slice(0, space)).toUpperCase();
    instructions.push({ keyword, args: space < 0 ? '' : full.slice(space + 1).trim(), line: start });
  });
  return instructions;
}

/** Splits a Dockerfile into its stages. */
export function parseDockerfile(text: string): Stage[] {
  const stages: { name: string | undefined; base: string; instructions: Instruction[] }[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ name: as < 0 ? undefined : words[as + 1], base: words[0] ?? '', instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/**
 * Whether an image reference names one immutable-enough build: a digest, or a tag with at least major.minor
 * (`24.22.3-bookworm-slim`, `v3.17.2`, `17.6-alpine`), never `latest`, a bare major or no tag.
 */
export function isPinnedImage(reference: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(reference)) return true;
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon <= slash) return false;
  return /^v?\d+\.\d+(\.\d+)?([-._+][\w.-]+)?$/.test(reference.slice(colon + 1));
}

/** The stage a stage builds on, and so on up to an external image, nearest first. */
export function stageChain(stages: readonly Stage[], name: string): Stage[] {
  const chain: Stage[] = [];
  let current = stages.find((s) => s.name === name);
  while (current !== undefined && !chain.includes(current)) {
    chain.push(current);
    const base = current.base;
    current = stages.find((s) => s.name === base);
  }
  return chain;
}

/** The last value of an instruction along a stage chain (what the built image ends up with). */
export function effective(chain: readonly Stage[], keyword: string): Instruction | undefined {
  for (const stage of chain) {
    const found = stage.instructions.filter((i) => i.keyword === keyword).at(-1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The arguments of an exec-form instruction (`["node", "x.js"]`), or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

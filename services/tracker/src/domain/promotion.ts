import { type Cell, DEFAULT_MODEL_NAME, type EventData, type GateRules, resolveGateRules } from '@mlops/contracts';
import { MlError } from '@mlops/ml';
import { type GateModel, type GateVerdict, type Holdout, judge } from './gate.js';
import type { ChampionRegistry, Registration, ScorableModel } from './ports.js';
import { LINEAGE_TAGS } from './tags.js';

/** The gate's rules a tuning did not override: the tracker's configured defaults. */
export type GateDefaults = Omit<GateRules, 'metric'>;

/**
 * The promotion gate after a tuning registered its best as a new version: judges it against the champion, records
 * the verdict, then moves `champion` to it or marks it `challenger`. Each step is idempotent, so a tracker killed
 * anywhere in between ends, after redelivery, with one verdict and one alias move. A redelivery never undoes what
 * happened since: a move already made and overtaken stays overtaken (undefined: nothing to announce), and a
 * promotion never made whose champion has moved since is judged again against the champion of now.
 */
export async function decidePromotion(
  registry: ChampionRegistry,
  defaults: GateDefaults,
  data: EventData<'tuning.completed'>,
  registration: Registration,
): Promise<GateVerdict | undefined> {
  const { name, version } = registration;
  const recorded = await registry.recordedVerdict(name, version);
  const standing = recorded === undefined ? 'judge' : await recordedStanding(registry, name, version, recorded);
  if (standing === 'overtaken') return undefined;
  const verdict =
    recorded !== undefined && standing === 'apply'
      ? recorded
      : await judgeAgainstChampion(registry, defaults, data, version);
  await registry.recordVerdict({ name, version, parentRunId: registration.parentRunId }, verdict);
  if (verdict.status === 'promoted') {
    await registry.moveChampion(name, {
      kind: 'gate',
      version,
      previous: verdict.championVersion,
      reason: verdict.reason,
      by: 'gate',
      at: data.ended_at,
    });
  } else {
    await markChallenger(registry, name, version);
  }
  return verdict;
}

/**
 * What a verdict an earlier delivery recorded still means: `apply` it (its move is not made, or half made, and
 * nothing moved since), it was made and `overtaken` since, or `judge` again (a promotion never made, the champion
 * moved meanwhile). A kept-out version's verdict always stands.
 */
async function recordedStanding(
  registry: ChampionRegistry,
  name: string,
  version: string,
  verdict: GateVerdict,
): Promise<'apply' | 'overtaken' | 'judge'> {
  if (verdict.status !== 'promoted') return 'apply';
  const champion = await registry.championVersion(name);
  if (champion === version) return 'apply';
  // The history is written before the alias: this move as its last entry is a move cut short, not overtaken.
  const history = await registry.history(name);
  const made = history.findLastIndex((move) => move.kind === 'gate' && move.version === version);
  if (made >= 0) return made === history.length - 1 ? 'apply' : 'overtaken';
  return champion === verdict.championVersion ? 'apply' : 'judge';
}

/** `challenger` to a kept-out version, unless it is champion by now or a newer version holds the alias already. */
async function markChallenger(registry: ChampionRegistry, name: string, version: string): Promise<void> {
  if ((await registry.championVersion(name)) === version) return;
  const challenger = await registry.challengerVersion(name);
  if (challenger !== null && Number(challenger) > Number(version)) return;
  await registry.markChallenger(name, version);
}

async function judgeAgainstChampion(
  registry: ChampionRegistry,
  defaults: GateDefaults,
  data: EventData<'tuning.completed'>,
  version: string,
): Promise<GateVerdict> {
  const rules = resolveGateRules(defaults, data.gate, data.selection_metric);
  const name = data.registered_model_name;
  const championVersion = await registry.championVersion(name);
  if (championVersion === version) {
    const blank = { championValue: null, challengerValue: null, difference: null, interval: null, pValue: null };
    return { ...blank, status: 'promoted', reason: 'already champion', metric: rules.metric, rules, championVersion };
  }
  const challenger = await registry.loadModel(name, version);
  const holdout: Holdout = {
    featureNames: data.holdout?.feature_names ?? challenger.inputNames,
    y: Float64Array.from(data.holdout?.labels ?? []),
    testRows: data.test_rows,
    stored: data.stored_holdout !== undefined && data.holdout?.rows.length === data.stored_holdout.rows,
  };
  const rows = data.holdout?.rows ?? [];
  const scored = async (v: string): Promise<GateModel> => {
    const model = v === version ? challenger : await registry.loadModel(name, v);
    return {
      version: v,
      featureNames: model.inputNames,
      classLabels: model.classLabels,
      probabilities: probabilitiesOn(model, holdout, rows),
    };
  };
  const champion = championVersion === null ? null : await scored(championVersion);
  const verdict = judge(rules, holdout, await scored(version), champion);
  if (verdict.status !== 'promoted' || championVersion === null || data.lineage !== undefined) return verdict;
  if (rules.on_retrained_champion === 'judge') return verdict;
  const retrain = (await registry.version(name, championVersion))?.tags[LINEAGE_TAGS.retrainId];
  return retrain === undefined ? verdict : keptFromRetrainedChampion(verdict, { name, version }, retrain);
}

/**
 * A promotion over a champion a retrain fitted on live rows, by a tuning that is no retrain: its test split is other
 * data than the traffic the champion was fitted to (the seed data judges a retrained champion as worse), so the
 * version is kept out as challenger, its comparison kept in the verdict, with how to promote it all the same.
 */
export function keptFromRetrainedChampion(
  verdict: GateVerdict,
  candidate: { readonly name: string; readonly version: string },
  retrainId: string,
): GateVerdict {
  const champion = `v${verdict.championVersion}`;
  const named = candidate.name === DEFAULT_MODEL_NAME ? '' : ` --name ${shellWord(candidate.name)}`;
  const promote = `mlops promote --version ${candidate.version}${named} --reason "…"`;
  const reason =
    `${verdict.reason}; but champion ${champion} was retrained on live rows (${retrainId}) and this tuning's test ` +
    `split is other data: kept out (${promote} promotes it; a tune request with "gate": {"on_retrained_champion": ` +
    '"judge"} lets the gate decide on its own rows)';
  return { ...verdict, status: 'rejected', reason };
}

/** A model name as one POSIX shell word: as it is when plain, else in single quotes. */
function shellWord(text: string): string {
  return /^[\w.-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * The model's P(class 1) on the holdout rows (the gate's comparison, the tuning's figures), its columns found by name (a table model may order them otherwise),
 * or undefined when it cannot score them (other columns, or cells of another type: the gate reports a signature
 * change).
 */
export function probabilitiesOn(
  model: ScorableModel,
  holdout: Holdout,
  rows: readonly (readonly Cell[])[],
): Float64Array | undefined {
  const positions = model.inputNames.map((name) => holdout.featureNames.indexOf(name));
  if (rows.length === 0 || positions.length !== holdout.featureNames.length || positions.includes(-1)) return undefined;
  const inOrder = positions.every((p, i) => p === i);
  try {
    return model.probabilities(inOrder ? rows : rows.map((row) => positions.map((p) => row[p] ?? null)));
  } catch (err) {
    if (err instanceof MlError) return undefined;
    throw err;
  }
}

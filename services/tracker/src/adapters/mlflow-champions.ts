import { attributeEquals, MlflowApiError, type MlflowClient, type ModelVersion } from '@mlops/mlflow';
import { assertOwnDirectory, MODEL_FILES, modelFromWeights, parseWeights } from '@mlops/model-format';
import type { GateVerdict } from '../domain/gate.js';
import type { ChampionMove, ChampionRegistry, ScorableModel, VersionRecord } from '../domain/ports.js';
import { CHALLENGER_ALIAS, CHAMPION_ALIAS, CHAMPION_HISTORY_TAG, GATE_TAGS } from '../domain/tags.js';

/** History entries kept on the registered model (MLflow tag values hold at most 5,000 characters). */
const HISTORY_LIMIT = 20;

/** The gate's view of the MLflow Model Registry: aliases, verdict tags, the champion history, each version's weights. */
export function mlflowChampions(mlflow: MlflowClient): ChampionRegistry {
  return {
    async championVersion(name) {
      return (await mlflow.getModelVersionByAlias(name, CHAMPION_ALIAS))?.version ?? null;
    },
    loadModel: (name, version) => loadScorable(mlflow, name, version),
    async recordedVerdict(name, version) {
      const tags = (await mlflow.getModelVersion(name, version)).tags;
      const recorded = tags[GATE_TAGS.verdict];
      return recorded === undefined ? undefined : (JSON.parse(recorded) as GateVerdict);
    },
    async recordVerdict({ name, version, parentRunId }, verdict) {
      const tags = verdictTags(verdict);
      // The whole verdict first: once it is there, a redelivery reuses it instead of judging again.
      await mlflow.setModelVersionTag(name, version, GATE_TAGS.verdict, JSON.stringify(verdict));
      for (const [key, value] of Object.entries(tags)) await mlflow.setModelVersionTag(name, version, key, value);
      await mlflow.updateModelVersionDescription(name, version, describe(version, verdict));
      await mlflow.logBatch({ runId: parentRunId, tags: { ...tags, [GATE_TAGS.verdict]: JSON.stringify(verdict) } });
    },
    async moveChampion(name, move) {
      // The history first: a move it holds that the alias does not show yet is one a crash or an MLflow error cut
      // short, finished by the redelivery or the retried request, never taken for one made and overtaken.
      const history = await championHistory(mlflow, name);
      const last = history.at(-1);
      // A request finishing a move another left cut short is written again, so that its id is found when it repeats.
      if (last?.version !== move.version || last.previous !== move.previous || last.request !== move.request) {
        const kept = [...history, move].slice(-HISTORY_LIMIT);
        await mlflow.setRegisteredModelTag(name, CHAMPION_HISTORY_TAG, JSON.stringify(kept));
      }
      await mlflow.setRegisteredModelAlias(name, CHAMPION_ALIAS, move.version);
      // A version promoted by hand is no longer a challenger: one version never shows both aliases.
      const challenger = await mlflow.getModelVersionByAlias(name, CHALLENGER_ALIAS);
      if (challenger?.version === move.version) await mlflow.deleteRegisteredModelAlias(name, CHALLENGER_ALIAS);
    },
    async markChallenger(name, version) {
      await mlflow.setRegisteredModelAlias(name, CHALLENGER_ALIAS, version);
    },
    async challengerVersion(name) {
      return (await mlflow.getModelVersionByAlias(name, CHALLENGER_ALIAS))?.version ?? null;
    },
    history: (name) => championHistory(mlflow, name),
    async version(name, version) {
      const found = await mlflow.getModelVersion(name, version).catch((err: unknown) => {
        if (isMissing(err)) return null;
        throw err;
      });
      return found === null ? null : versionRecord(found);
    },
    async versions(name, limit) {
      const model = await mlflow.getRegisteredModel(name);
      if (model === null) return null;
      const page = await mlflow.searchModelVersions({
        filter: attributeEquals('name', name), // no escapes in MLflow's filters: a name with ' is double-quoted
        orderBy: ['version_number DESC'],
        maxResults: limit,
      });
      // Searched versions come without aliases; the registered model lists them all.
      const aliasesOf = (version: string) => model.aliases.filter((a) => a.version === version).map((a) => a.alias);
      return page.modelVersions.map((v) => ({ ...versionRecord(v), aliases: aliasesOf(v.version) }));
    },
  };
}

function versionRecord(v: ModelVersion): VersionRecord {
  return {
    version: v.version,
    createdAt: v.creationTimestamp,
    aliases: v.aliases,
    tags: v.tags,
    runId: v.runId,
    source: v.source,
  };
}

function isMissing(err: unknown): boolean {
  return err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST';
}

/** Every recorded move of the champion alias, oldest first (empty for a model without one). */
export async function championHistory(mlflow: MlflowClient, name: string): Promise<ChampionMove[]> {
  const model = await mlflow.getRegisteredModel(name);
  const text = model?.tags[CHAMPION_HISTORY_TAG];
  return text === undefined ? [] : (JSON.parse(text) as ChampionMove[]);
}

async function loadScorable(mlflow: MlflowClient, name: string, version: string): Promise<ScorableModel> {
  const uri = `models:/${name}/${version}`;
  const resolved = await mlflow.resolveModelUri(uri);
  if (resolved === null) throw new Error(`${uri} does not exist`);
  assertOwnDirectory(resolved.artifactUri, uri); // as the predictor does before it loads a version
  const bytes = await mlflow.downloadArtifact({ artifactUri: resolved.artifactUri, path: MODEL_FILES.weights });
  return modelFromWeights(parseWeights(new TextDecoder().decode(bytes)));
}

function verdictTags(v: GateVerdict): Record<string, string> {
  const text = (value: number | string | null) => (value === null ? '' : String(value));
  return {
    [GATE_TAGS.status]: v.status,
    [GATE_TAGS.reason]: v.reason.slice(0, 4000),
    [GATE_TAGS.championVersion]: text(v.championVersion),
    [GATE_TAGS.metric]: v.metric,
    [GATE_TAGS.challengerValue]: text(v.challengerValue),
    [GATE_TAGS.championValue]: text(v.championValue),
    [GATE_TAGS.difference]: text(v.difference),
    [GATE_TAGS.interval]:
      v.interval === null ? '' : `[${v.interval.low}, ${v.interval.high}] at alpha ${v.interval.alpha}`,
    [GATE_TAGS.pValue]: text(v.pValue),
  };
}

function describe(version: string, v: GateVerdict): string {
  const kept =
    v.status === 'promoted'
      ? 'promoted to champion'
      : `kept as challenger (${v.championVersion === null ? 'no champion yet' : `champion stays v${v.championVersion}`})`;
  return `Version ${version} ${kept}: ${v.reason}.`;
}

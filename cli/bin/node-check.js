// Checked before the CLI loads: an older Node would fail later with a misleading error (node:sqlite is missing, and
// the local stack reports its MLflow store instead).

/** The oldest Node.js major the CLI runs on (package.json `engines`). */
export const MIN_NODE_MAJOR = 24;

/** Why Node.js `version` (e.g. `v20.20.2`) cannot run the CLI at `execPath`; undefined when it can. */
export function nodeTooOld(version, execPath) {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  if (major >= MIN_NODE_MAJOR) return undefined;
  return (
    `mlops needs Node.js ${MIN_NODE_MAJOR} or newer; this is ${version} (${execPath}). ` +
    "Run it as `npx mlops` from the project after `source scripts/node-env.sh` (bash scripts/setup.sh installs the project's Node)"
  );
}

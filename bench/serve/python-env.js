// The peers' Python: .venv with the pins of requirements-bench.txt, installed by the benchmark when missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const PROBE = `
import json, sys
from importlib.metadata import version, PackageNotFoundError
pins = json.loads(sys.argv[1])
wrong = {}
for name, want in pins.items():
    try:
        have = version(name)
    except PackageNotFoundError:
        have = None
    if have != want:
        wrong[name] = have
for module in ("flask", "gunicorn", "sklearn", "numpy", "onnxruntime", "mlflow"):
    try:
        __import__(module)
    except Exception as error:
        wrong[module] = repr(error)
versions = {name: version(name) for name in ("flask", "gunicorn", "scikit-learn", "numpy", "onnxruntime", "mlflow")} if not wrong else {}
print(json.dumps({"wrong": wrong, "versions": versions, "python": sys.version.split()[0]}))
`;

/** `name==version` pins of one requirements file and the files it includes with `-r`. */
function pins(file) {
  const found = {};
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const include = /^-r\s+(\S+)$/.exec(line);
    if (include) Object.assign(found, pins(join(file, '..', include[1])));
    const pin = /^([A-Za-z0-9_.-]+)==(\S+)$/.exec(line);
    if (pin) found[pin[1].toLowerCase()] = pin[2];
  }
  return found;
}

function probe(python, wanted) {
  const run = spawnSync(python, ['-c', PROBE, JSON.stringify(wanted)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${python} could not check its packages: ${run.stderr.trim().slice(-2000)}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1));
}

/**
 * Checks that .venv has every pin of requirements-bench.txt, runs `.venv/bin/pip install -r requirements-bench.txt`
 * when it does not, and returns the Python and package versions the peers run with.
 */
export function ensurePythonPeers(root, log) {
  const python = join(root, '.venv', 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(`no Python venv at ${join(root, '.venv')}: run bash scripts/setup.sh first (it creates it)`);
  }
  const requirements = join(root, 'requirements-bench.txt');
  const wanted = pins(requirements);
  let state = probe(python, wanted);
  if (Object.keys(state.wrong).length > 0) {
    log(`bench:serve: .venv lacks ${JSON.stringify(state.wrong)}; pip install -r requirements-bench.txt ...`);
    const pip = spawnSync(join(root, '.venv', 'bin', 'pip'), ['install', '-q', '-r', requirements], {
      cwd: root,
      stdio: ['ignore', 2, 2], // pip's output joins the progress on stderr; stdout is the report's
    });
    if (pip.status !== 0) throw new Error(`pip install -r requirements-bench.txt failed (exit ${pip.status})`);
    state = probe(python, wanted);
    if (Object.keys(state.wrong).length > 0) throw new Error(`still wrong after pip: ${JSON.stringify(state.wrong)}`);
  }
  return { python: state.python, ...state.versions };
}

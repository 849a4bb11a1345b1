/**
 * L-BFGS-B for unbounded variables, ported from scipy 1.16's C translation of Zhu, Byrd, Lu & Nocedal's code
 * (`scipy/optimize/__lbfgsb.c`, driven as `scipy/optimize/_lbfgsb_py.py` drives it). With no bounds the
 * generalized Cauchy point is the steepest-descent point of the quadratic model (used only while the memory is
 * empty), and the subspace minimisation is the full compact-form quasi-Newton step; the line search is dcsrch
 * (Moré–Thuente) with ftol 1e-3, gtol 0.9, xtol 0.1.
 */

const EPSMACH = 2.220446049250313e-16;
const LS_FTOL = 1e-3;
const LS_GTOL = 0.9;
const LS_XTOL = 0.1;
const LS_XTRAPL = 1.1;
const LS_XTRAPU = 4.0;
const STPMAX_UNBOUNDED = 1e10;

/** Writes the gradient of the objective at `x` into `grad` and returns its value. */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

/** The options of scipy.optimize.minimize(method="L-BFGS-B") that matter without bounds, under scipy's names. */
export interface LbfgsOptions {
  /** Memory size m (scipy default 10). */
  readonly maxcor: number;
  /** Stop when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol. */
  readonly ftol: number;
  /** Stop when the largest |gradient component| ≤ gtol. */
  readonly gtol: number;
  readonly maxiter: number;
  readonly maxfun: number;
  /** Most function evaluations per line search (scipy default 20). */
  readonly maxls: number;
}

/** scipy's defaults for `LbfgsOptions`. */
export const LBFGS_DEFAULT_OPTIONS: LbfgsOptions = {
  maxcor: 10,
  ftol: 2.2204460492503131e-9,
  gtol: 1e-5,
  maxiter: 15000,
  maxfun: 15000,
  maxls: 20,
};

/** How a run ended, with scipy's OptimizeResult fields. */
export interface LbfgsResult {
  readonly x: Float64Array;
  /** f(x). (After a failed line search scipy reports the last trial's value instead; x and g agree with each other.) */
  readonly f: number;
  readonly g: Float64Array;
  /** Iterations (accepted line-search steps), scipy's `nit`. */
  readonly nit: number;
  /** Distinct objective evaluations, scipy's `nfev`. */
  readonly nfev: number;
  /** 0 converged, 1 iteration or evaluation limit reached, 2 anything else (line search trouble). */
  readonly status: 0 | 1 | 2;
  /** scipy's message, e.g. "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL". */
  readonly message: string;
}

const MESSAGES = {
  gradient: 'CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL',
  reduction: 'CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH',
  evaluations: 'STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT',
  iterations: 'STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT',
  abnormal: 'ABNORMAL: ',
} as const;
type Ending = keyof typeof MESSAGES;

/** The limited-memory matrix: S and Y columns in a ring buffer plus the small factorised middle matrices. */
interface Memory {
  readonly m: number;
  readonly n: number;
  /** S and Y, column c at [c·n, (c+1)·n). */
  readonly ws: Float64Array;
  readonly wy: Float64Array;
  /** S'Y (lower triangle) and S'S (upper triangle), m×m column-major. */
  readonly sy: Float64Array;
  readonly ss: Float64Array;
  /** Cholesky factor of θ·S'S + L·D⁻¹·L' (only its success matters without bounds). */
  readonly wt: Float64Array;
  /** Factorised 2m×2m middle matrix of the subspace step, column-major with leading dimension 2m. */
  readonly wn: Float64Array;
  readonly wv: Float64Array;
  col: number;
  head: number;
  itail: number;
  iupdat: number;
  updatd: boolean;
  theta: number;
}

/** The iterate, the scratch vectors and the counters of one run. */
interface Run {
  readonly n: number;
  readonly fun: ObjectiveWithGradient;
  readonly x: Float64Array;
  readonly g: Float64Array;
  readonly z: Float64Array;
  readonly d: Float64Array;
  readonly t: Float64Array;
  readonly r: Float64Array;
  readonly lastX: Float64Array;
  readonly lastG: Float64Array;
  f: number;
  lastF: number;
  nfev: number;
  iter: number;
  fold: number;
  gd: number;
  gdold: number;
  stp: number;
  dtd: number;
}

type SearchTask = 'start' | 'fg' | 'convergence' | 'warning' | 'error';

/** dcsrch's saved state. */
interface MoreThuente {
  task: SearchTask;
  brackt: boolean;
  stage: 1 | 2;
  ginit: number;
  gtest: number;
  finit: number;
  stx: number;
  fx: number;
  gx: number;
  sty: number;
  fy: number;
  gy: number;
  stmin: number;
  stmax: number;
  width: number;
  width1: number;
}

/**
 * Minimises `fun` from `x0` with unbounded L-BFGS-B, reproducing scipy's iterates, stopping tests, `nit`, `nfev`,
 * `status` and message. All scratch is allocated here once; `fun` is called once per distinct trial point.
 */
export function minimizeLbfgsb(fun: ObjectiveWithGradient, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const run = createRun(fun, x0);
  const memory = createMemory(options.maxcor, x0.length);
  const search = createMoreThuente();
  const tol = (options.ftol / EPSMACH) * EPSMACH;
  evaluate(run);
  let sbgnrm = infinityNorm(run.g);
  if (sbgnrm <= options.gtol) return finish(run, 'gradient', 0, options);
  let nit = 0;
  for (;;) {
    if (!searchDirection(run, memory, sbgnrm)) {
      resetMemory(memory);
      continue;
    }
    if (!lineSearch(run, search, options.maxls)) {
      run.x.set(run.t);
      run.g.set(run.r);
      run.f = run.fold;
      if (memory.col === 0) return finish(run, 'abnormal', nit, options);
      resetMemory(memory);
      continue;
    }
    run.iter++;
    sbgnrm = infinityNorm(run.g);
    nit++;
    if (nit >= options.maxiter) return finish(run, 'iterations', nit, options);
    if (run.nfev > options.maxfun) return finish(run, 'evaluations', nit, options);
    if (sbgnrm <= options.gtol) return finish(run, 'gradient', nit, options);
    const scale = cmax(cmax(Math.abs(run.fold), Math.abs(run.f)), 1);
    if (run.fold - run.f <= tol * scale) return finish(run, 'reduction', nit, options);
    updateMemory(run, memory);
  }
}

function createRun(fun: ObjectiveWithGradient, x0: Float64Array): Run {
  const n = x0.length;
  const vector = () => new Float64Array(n);
  return {
    n,
    fun,
    x: Float64Array.from(x0),
    g: vector(),
    z: vector(),
    d: vector(),
    t: vector(),
    r: vector(),
    lastX: vector(),
    lastG: vector(),
    f: 0,
    lastF: Number.NaN,
    nfev: 0,
    iter: 0,
    fold: 0,
    gd: 0,
    gdold: 0,
    stp: 0,
    dtd: 0,
  };
}

function createMemory(m: number, n: number): Memory {
  return {
    m,
    n,
    ws: new Float64Array(m * n),
    wy: new Float64Array(m * n),
    sy: new Float64Array(m * m),
    ss: new Float64Array(m * m),
    wt: new Float64Array(m * m),
    wn: new Float64Array(4 * m * m),
    wv: new Float64Array(2 * m),
    col: 0,
    head: 0,
    itail: 0,
    iupdat: 0,
    updatd: false,
    theta: 1,
  };
}

function createMoreThuente(): MoreThuente {
  return {
    task: 'start',
    brackt: false,
    stage: 1,
    ginit: 0,
    gtest: 0,
    finit: 0,
    stx: 0,
    fx: 0,
    gx: 0,
    sty: 0,
    fy: 0,
    gy: 0,
    stmin: 0,
    stmax: 0,
    width: 0,
    width1: 0,
  };
}

/** Forgets every correction pair, as L-BFGS-B does after a failed factorisation or line search. */
function resetMemory(memory: Memory): void {
  memory.col = 0;
  memory.head = 0;
  memory.theta = 1;
  memory.iupdat = 0;
  memory.updatd = false;
}

/** f and g at run.x; like scipy's ScalarFunction, a repeat of the previous point is not re-evaluated. */
function evaluate(run: Run): void {
  const { x, g, lastX, lastG } = run;
  if (run.nfev > 0 && sameVector(x, lastX)) {
    run.f = run.lastF;
    g.set(lastG);
    return;
  }
  run.f = run.fun(x, g);
  run.nfev++;
  run.lastF = run.f;
  lastX.set(x);
  lastG.set(g);
}

function finish(run: Run, ending: Ending, nit: number, options: LbfgsOptions): LbfgsResult {
  let status: 0 | 1 | 2 = 2;
  if (ending === 'gradient' || ending === 'reduction') status = 0;
  else if (run.nfev > options.maxfun || nit >= options.maxiter) status = 1;
  return { x: run.x, f: run.f, g: run.g, nit, nfev: run.nfev, status, message: MESSAGES[ending] };
}

/** Sets z to the trial point and d = z − x; false when a factorisation failed and the memory must be reset. */
function searchDirection(run: Run, memory: Memory, sbgnrm: number): boolean {
  const { x, z, d, r, g, n } = run;
  if (memory.col > 0) {
    z.set(x);
    if (memory.updatd && !formMiddleMatrix(memory)) return false;
    for (let i = 0; i < n; i++) r[i] = -g[i]!;
    if (!subspaceStep(memory, r, z)) return false;
  } else {
    cauchyPoint(run, memory.theta, sbgnrm);
  }
  for (let i = 0; i < n; i++) d[i] = z[i]! - x[i]!;
  return true;
}

/** Without bounds and with an empty memory the generalized Cauchy point is x − g/θ (scipy's `cauchy`). */
function cauchyPoint(run: Run, theta: number, sbgnrm: number): void {
  const { x, g, d, z, n } = run;
  z.set(x);
  if (sbgnrm <= 0 || n === 0) return;
  let f1 = 0;
  for (let i = 0; i < n; i++) {
    const neggi = -g[i]!;
    d[i] = neggi;
    f1 = f1 - neggi * neggi;
  }
  const f2 = -theta * f1;
  let dtm = -f1 / f2;
  if (dtm <= 0) dtm = 0;
  const tsum = 0 + dtm;
  for (let i = 0; i < n; i++) z[i] = z[i]! + tsum * d[i]!;
}

/**
 * scipy's `formk` with every variable free: builds the 2m×2m matrix [Y'Y/θ + D, R'; R, 0] (R = upper triangle
 * of S'Y) and factorises it as scipy does; false when a Cholesky factorisation fails.
 */
function formMiddleMatrix(memory: Memory): boolean {
  const { m, n, ws, wy, sy, wn, col, head, theta } = memory;
  const m2 = 2 * m;
  for (let iy = 0; iy < col; iy++) {
    const ipntr = (head + iy) % m;
    for (let jy = 0; jy <= iy; jy++) {
      const yy = columnDot(wy, ipntr * n, wy, ((head + jy) % m) * n, n);
      wn[jy + m2 * iy] = yy / theta;
      wn[col + jy + m2 * (col + iy)] = 0 * theta;
    }
  }
  for (let iy = 0; iy < col; iy++) {
    const is = col + iy;
    const spntr = ((head + iy) % m) * n;
    for (let jy = 0; jy < iy; jy++) wn[jy + m2 * is] = -0;
    for (let jy = iy; jy < col; jy++) wn[jy + m2 * is] = columnDot(ws, spntr, wy, ((head + jy) % m) * n, n);
    wn[iy + m2 * iy] = wn[iy + m2 * iy]! + sy[iy + m * iy]!;
  }
  if (!choleskyUpper(wn, 0, m2, col)) return false;
  for (let c = col; c < 2 * col; c++) solveUpperTransposed(wn, 0, m2, col, wn, m2 * c);
  for (let is = col; is < 2 * col; is++) {
    for (let js = is; js < 2 * col; js++) {
      wn[is + m2 * js] = wn[is + m2 * js]! + columnDot(wn, m2 * is, wn, m2 * js, col);
    }
  }
  return choleskyUpper(wn, col + m2 * col, m2, col);
}

/** scipy's `subsm` without bounds: dvec (entering as −g) becomes the quasi-Newton step and z += step. */
function subspaceStep(memory: Memory, dvec: Float64Array, z: Float64Array): boolean {
  const { m, n, ws, wy, wn, wv, col, head, theta } = memory;
  const m2 = 2 * m;
  const col2 = 2 * col;
  let pointr = head;
  for (let i = 0; i < col; i++) {
    wv[i] = columnDot(wy, n * pointr, dvec, 0, n);
    wv[col + i] = theta * columnDot(ws, n * pointr, dvec, 0, n);
    pointr = (pointr + 1) % m;
  }
  if (!solveUpperTransposed(wn, 0, m2, col2, wv, 0)) return false;
  for (let i = 0; i < col; i++) wv[i] = -wv[i]!;
  if (!solveUpper(wn, 0, m2, col2, wv)) return false;
  pointr = head;
  for (let jy = 0; jy < col; jy++) {
    const wvy = wv[jy]!;
    const wvs = wv[col + jy]!;
    const offset = n * pointr;
    for (let i = 0; i < n; i++) {
      dvec[i] = dvec[i]! + (wy[offset + i]! * wvy) / theta + ws[offset + i]! * wvs;
    }
    pointr = (pointr + 1) % m;
  }
  const inverseTheta = 1 / theta;
  for (let i = 0; i < n; i++) {
    dvec[i] = dvec[i]! * inverseTheta;
    z[i] = z[i]! + dvec[i]!;
  }
  return true;
}

/** lnsrlb: dcsrch along d from x, evaluating trial points; true with the accepted point in x, f, g. */
function lineSearch(run: Run, search: MoreThuente, maxls: number): boolean {
  const { x, g, d, t, r, z, n } = run;
  const dnorm = norm2(d);
  run.dtd = dnorm * dnorm;
  run.stp = run.iter === 0 ? cmin(1 / dnorm, STPMAX_UNBOUNDED) : 1;
  t.set(x);
  r.set(g);
  run.fold = run.f;
  search.task = 'start' as SearchTask;
  for (let ifun = 0; ; ifun++) {
    run.gd = columnDot(g, 0, d, 0, n);
    if (ifun === 0) {
      run.gdold = run.gd;
      if (run.gd >= 0) return false;
    }
    run.stp = dcsrch(search, run.f, run.gd, run.stp, 0, STPMAX_UNBOUNDED);
    if (search.task === 'convergence' || search.task === 'warning') return true;
    if (search.task === 'error' || ifun >= maxls) return false;
    if (run.stp === 1) x.set(z);
    else for (let i = 0; i < n; i++) x[i] = run.stp * d[i]! + t[i]!;
    evaluate(run);
  }
}

/** After an accepted step: skip or store the pair (s, y), as mainlb does from its label 777 on. */
function updateMemory(run: Run, memory: Memory): void {
  const { g, r, d, n, stp } = run;
  for (let i = 0; i < n; i++) r[i] = g[i]! - r[i]!;
  const rnorm = norm2(r);
  const rr = rnorm * rnorm;
  let dr: number;
  let ddum: number;
  if (stp === 1) {
    dr = run.gd - run.gdold;
    ddum = -run.gdold;
  } else {
    dr = (run.gd - run.gdold) * stp;
    for (let i = 0; i < n; i++) d[i] = stp * d[i]!;
    ddum = -run.gdold * stp;
  }
  if (dr <= EPSMACH * ddum) {
    memory.updatd = false;
    return;
  }
  memory.updatd = true;
  memory.iupdat++;
  storePair(memory, d, r, rr, dr, stp, run.dtd);
  if (!factorT(memory)) resetMemory(memory);
}

/** scipy's `matupd`: appends (s, y) to the ring buffer and updates θ, S'Y and S'S. */
function storePair(memory: Memory, s: Float64Array, y: Float64Array, rr: number, dr: number, stp: number, dtd: number) {
  const { m, n, ws, wy, sy, ss } = memory;
  if (memory.iupdat <= m) {
    memory.col = memory.iupdat;
    memory.itail = (memory.head + memory.iupdat - 1) % m;
  } else {
    memory.itail = (memory.itail + 1) % m;
    memory.head = (memory.head + 1) % m;
  }
  const col = memory.col;
  ws.set(s, memory.itail * n);
  wy.set(y, memory.itail * n);
  memory.theta = rr / dr;
  if (memory.iupdat > m) {
    for (let j = 1; j < col; j++) {
      ss.copyWithin(m * (j - 1), 1 + m * j, 1 + m * j + j);
      sy.copyWithin(j - 1 + m * (j - 1), j + m * j, j + m * j + col - j);
    }
  }
  let pointr = memory.head;
  for (let j = 0; j < col - 1; j++) {
    sy[col - 1 + m * j] = columnDot(s, 0, wy, pointr * n, n);
    ss[j + m * (col - 1)] = columnDot(ws, pointr * n, s, 0, n);
    pointr = (pointr + 1) % m;
  }
  ss[col - 1 + m * (col - 1)] = stp === 1 ? dtd : stp * stp * dtd;
  sy[col - 1 + m * (col - 1)] = dr;
}

/** scipy's `formt`: T = θ·S'S + L·D⁻¹·L' and its Cholesky factor; false when T is not positive definite. */
function factorT(memory: Memory): boolean {
  const { m, wt, sy, ss, col, theta } = memory;
  for (let j = 0; j < col; j++) wt[m * j] = theta * ss[m * j]!;
  for (let i = 1; i < col; i++) {
    for (let j = i; j < col; j++) {
      let ddum = 0;
      for (let k = 0; k < i; k++) ddum = ddum + (sy[i + m * k]! * sy[j + m * k]!) / sy[k + m * k]!;
      wt[i + m * j] = ddum + theta * ss[i + m * j]!;
    }
  }
  return choleskyUpper(wt, 0, m, col);
}

/**
 * Moré–Thuente line search step (MINPACK-2 dcsrch as scipy's C port has it): given f and the slope g at stp,
 * sets search.task and returns the next stp to try (or the accepted one).
 */
function dcsrch(search: MoreThuente, f: number, g: number, stp: number, stpmin: number, stpmax: number): number {
  const s = search;
  if (s.task === 'start') {
    if (stp < stpmin || stp > stpmax || g >= 0) {
      s.task = 'error';
      return stp;
    }
    s.brackt = false;
    s.stage = 1;
    s.finit = f;
    s.ginit = g;
    s.gtest = LS_FTOL * s.ginit;
    s.width = stpmax - stpmin;
    s.width1 = s.width / 0.5;
    s.stx = 0;
    s.fx = s.finit;
    s.gx = s.ginit;
    s.sty = 0;
    s.fy = s.finit;
    s.gy = s.ginit;
    s.stmin = 0;
    s.stmax = stp + LS_XTRAPU * stp;
    s.task = 'fg';
    return stp;
  }
  const ftest = s.finit + stp * s.gtest;
  if (s.stage === 1 && f <= ftest && g >= 0) s.stage = 2;
  if (s.brackt && (stp <= s.stmin || stp >= s.stmax)) s.task = 'warning';
  if (s.brackt && s.stmax - s.stmin <= LS_XTOL * s.stmax) s.task = 'warning';
  if (stp === stpmax && f <= ftest && g <= s.gtest) s.task = 'warning';
  if (stp === stpmin && (f > ftest || g >= s.gtest)) s.task = 'warning';
  if (f <= ftest && Math.abs(g) <= LS_GTOL * -s.ginit) s.task = 'convergence';
  if (s.task === 'warning' || s.task === 'convergence') return stp;
  let next: number;
  if (s.stage === 1 && f <= s.fx && f > ftest) {
    const gtest = s.gtest;
    s.fx = s.fx - s.stx * gtest;
    s.fy = s.fy - s.sty * gtest;
    s.gx = s.gx - gtest;
    s.gy = s.gy - gtest;
    next = dcstep(s, stp, f - stp * gtest, g - gtest, s.stmin, s.stmax);
    s.fx = s.fx + s.stx * gtest;
    s.fy = s.fy + s.sty * gtest;
    s.gx = s.gx + gtest;
    s.gy = s.gy + gtest;
  } else {
    next = dcstep(s, stp, f, g, s.stmin, s.stmax);
  }
  return nextTrial(s, next, stpmin, stpmax);
}

/** The tail of dcsrch: bisection safeguard, new interval bounds, clamping. */
function nextTrial(s: MoreThuente, proposed: number, stpmin: number, stpmax: number): number {
  let stp = proposed;
  if (s.brackt) {
    if (Math.abs(s.sty - s.stx) >= 0.66 * s.width1) stp = s.stx + 0.5 * (s.sty - s.stx);
    s.width1 = s.width;
    s.width = Math.abs(s.sty - s.stx);
    s.stmin = cmin(s.stx, s.sty);
    s.stmax = cmax(s.stx, s.sty);
  } else {
    s.stmin = stp + LS_XTRAPL * (stp - s.stx);
    s.stmax = stp + LS_XTRAPU * (stp - s.stx);
  }
  stp = cmax(stp, stpmin);
  stp = cmin(stp, stpmax);
  if (s.brackt && (stp <= s.stmin || stp >= s.stmax || s.stmax - s.stmin <= LS_XTOL * s.stmax)) stp = s.stx;
  s.task = 'fg';
  return stp;
}

/**
 * MINPACK-2 dcstep: safeguarded cubic/quadratic step for the interval (stx, sty) given the trial (stp, fp, dp);
 * updates the interval in `s` (fx, gx, fy, gy as passed in) and returns the new trial step.
 */
function dcstep(s: MoreThuente, stp: number, fp: number, dp: number, stpmin: number, stpmax: number): number {
  const { stx, fx, gx: dx, sty, fy, gy: dy } = s;
  const sgnd = dp * (dx / Math.abs(dx));
  let stpf: number;
  if (fp > fx) {
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const sc = cmax(Math.abs(theta), cmax(Math.abs(dx), Math.abs(dp)));
    let gamma = sc * Math.sqrt(square(theta / sc) - (dx / sc) * (dp / sc));
    if (stp < stx) gamma = -gamma;
    const p = gamma - dx + theta;
    const q = gamma - dx + gamma + dp;
    const stpc = stx + (p / q) * (stp - stx);
    const stpq = stx + (dx / ((fx - fp) / (stp - stx) + dx) / 2) * (stp - stx);
    stpf = Math.abs(stpc - stx) < Math.abs(stpq - stx) ? stpc : stpc + (stpq - stpc) / 2;
    s.brackt = true;
  } else if (sgnd < 0) {
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const sc = cmax(Math.abs(theta), cmax(Math.abs(dx), Math.abs(dp)));
    let gamma = sc * Math.sqrt(square(theta / sc) - (dx / sc) * (dp / sc));
    if (stp > stx) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma - dp + gamma + dx;
    const stpc = stp + (p / q) * (stx - stp);
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
    s.brackt = true;
  } else if (Math.abs(dp) < Math.abs(dx)) {
    stpf = decreasingSlopeStep(s, stp, fp, dp, stpmin, stpmax);
  } else if (s.brackt) {
    const theta = (3 * (fp - fy)) / (sty - stp) + dy + dp;
    const sc = cmax(Math.abs(theta), cmax(Math.abs(dy), Math.abs(dp)));
    let gamma = sc * Math.sqrt(square(theta / sc) - (dy / sc) * (dp / sc));
    if (stp > sty) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma - dp + gamma + dy;
    stpf = stp + (p / q) * (sty - stp);
  } else {
    stpf = stp > stx ? stpmax : stpmin;
  }
  if (fp > fx) {
    s.sty = stp;
    s.fy = fp;
    s.gy = dp;
  } else {
    if (sgnd < 0) {
      s.sty = stx;
      s.fy = fx;
      s.gy = dx;
    }
    s.stx = stp;
    s.fx = fp;
    s.gx = dp;
  }
  return stpf;
}

/** dcstep case 3: lower function value, derivatives of the same sign, |slope| decreasing. */
function decreasingSlopeStep(s: MoreThuente, stp: number, fp: number, dp: number, lo: number, hi: number): number {
  const { stx, fx, gx: dx, sty } = s;
  const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
  const sc = cmax(Math.abs(theta), cmax(Math.abs(dx), Math.abs(dp)));
  let gamma = sc * Math.sqrt(cmax(0, square(theta / sc) - (dx / sc) * (dp / sc)));
  if (stp > stx) gamma = -gamma;
  const p = gamma - dp + theta;
  const q = gamma + (dx - dp) + gamma;
  const r = p / q;
  let stpc: number;
  if (r < 0 && gamma !== 0) stpc = stp + r * (stx - stp);
  else stpc = stp > stx ? hi : lo;
  const stpq = stp + (dp / (dp - dx)) * (stx - stp);
  if (s.brackt) {
    const stpf = Math.abs(stpc - stp) < Math.abs(stpq - stp) ? stpc : stpq;
    return stp > stx ? cmin(stp + 0.66 * (sty - stp), stpf) : cmax(stp + 0.66 * (sty - stp), stpf);
  }
  const stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
  return cmax(lo, cmin(hi, stpf));
}

/** LAPACK dpotf2 (upper): in-place Cholesky A = U'U of the k×k block at `offset`; false if not positive definite. */
function choleskyUpper(a: Float64Array, offset: number, lda: number, k: number): boolean {
  for (let j = 0; j < k; j++) {
    const cj = offset + lda * j;
    const ajj = a[cj + j]! - columnDot(a, cj, a, cj, j);
    if (!(ajj > 0)) {
      a[cj + j] = ajj;
      return false;
    }
    const ujj = Math.sqrt(ajj);
    a[cj + j] = ujj;
    const inverse = 1 / ujj;
    for (let c = j + 1; c < k; c++) {
      const cc = offset + lda * c;
      a[cc + j] = (a[cc + j]! - columnDot(a, cj, a, cc, j)) * inverse;
    }
  }
  return true;
}

/** LAPACK dtrtrs('U', 'T'): solves U'·v = b in place (b at `bOffset` of `b`); false if U has a zero diagonal. */
function solveUpperTransposed(
  u: Float64Array,
  offset: number,
  lda: number,
  k: number,
  b: Float64Array,
  bOffset: number,
): boolean {
  for (let i = 0; i < k; i++) if (u[offset + i + lda * i] === 0) return false;
  for (let i = 0; i < k; i++) {
    const ci = offset + lda * i;
    let temp = b[bOffset + i]!;
    for (let j = 0; j < i; j++) temp = temp - u[ci + j]! * b[bOffset + j]!;
    b[bOffset + i] = temp / u[ci + i]!;
  }
  return true;
}

/** LAPACK dtrtrs('U', 'N'): solves U·v = b in place; false if U has a zero diagonal. */
function solveUpper(u: Float64Array, offset: number, lda: number, k: number, b: Float64Array): boolean {
  for (let i = 0; i < k; i++) if (u[offset + i + lda * i] === 0) return false;
  for (let j = k - 1; j >= 0; j--) {
    if (b[j] === 0) continue;
    const cj = offset + lda * j;
    const bj = b[j]! / u[cj + j]!;
    b[j] = bj;
    for (let i = 0; i < j; i++) b[i] = b[i]! - bj * u[cj + i]!;
  }
  return true;
}

function columnDot(a: Float64Array, aOffset: number, b: Float64Array, bOffset: number, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += a[aOffset + i]! * b[bOffset + i]!;
  return sum;
}

function norm2(v: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

/** max |v_i| as scipy's `projgr` computes it without bounds: NaN as soon as a component is NaN. */
function infinityNorm(v: Float64Array): number {
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    const vi = v[i]!;
    if (Number.isNaN(vi)) return vi;
    norm = cmax(norm, Math.abs(vi));
  }
  return norm;
}

function sameVector(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function square(v: number): number {
  return v * v;
}

/** C's fmin/fmax: a NaN argument is ignored. */
function cmin(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return a < b ? a : b;
}

function cmax(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return a > b ? a : b;
}

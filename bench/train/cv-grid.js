/** The default tuning grid of the issue; GridSearchCV's ParameterGrid orders it C-major (sorted keys, last fastest). */
export const CV_GRID = { C: [0.01, 0.1, 1, 10, 100], solver: ['liblinear', 'lbfgs', 'saga'] };

/** The 15 grid points in ParameterGrid's order: (0.01, liblinear), (0.01, lbfgs), (0.01, saga), (0.1, liblinear)… */
export function gridPoints() {
  return CV_GRID.C.flatMap((C) => CV_GRID.solver.map((solver) => ({ C, solver })));
}

import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/**
 * The one problem worth reporting in a failed validation, as `path: message`. For unions, the branch that got
 * furthest into the body explains best what was meant (a bad number deep in "features", not a missing "records").
 */
export function firstProblem(error: z.ZodError): string {
  const issue = explain(error.issues);
  return `${formatPath(issue.path)}: ${issue.message}`;
}

function explain(issues: readonly Issue[]): Issue {
  const issue = issues.reduce((best, next) => (next.path.length > best.path.length ? next : best));
  if (issue.code !== 'invalid_union' || issue.errors.length === 0 || issue.message !== 'Invalid input') return issue;
  const branches = issue.errors.filter((branch) => branch.length > 0).map(explain);
  if (branches.length === 0) return issue;
  const deepest = branches.reduce((best, next) => (next.path.length > best.path.length ? next : best));
  return { ...deepest, path: [...issue.path, ...deepest.path] };
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

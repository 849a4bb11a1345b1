import type { z } from 'zod';

/**
 * A zod issue's message for a person: a number that JSON overflowed to ±Infinity (1e400) gets zod's "expected
 * number, received number", said plainly here instead.
 */
export function issueMessage(issue: z.core.$ZodIssue): string {
  const notFinite =
    issue.code === 'invalid_type' && issue.expected === 'number' && /received number$/.test(issue.message);
  return notFinite ? 'must be a finite number (a value such as 1e400 is beyond floating point)' : issue.message;
}

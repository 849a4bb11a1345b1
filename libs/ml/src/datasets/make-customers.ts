import { InvalidParameterError } from '../errors.js';
import { RandomState } from '../random/random-state.js';

/** Options of {@link makeCustomers}. */
export interface MakeCustomersOptions {
  /** @defaultValue 2000 */
  readonly nSamples?: number;
  /** @defaultValue 7 */
  readonly randomState?: number;
  /** Share of cells left empty in the columns that have gaps (plan, region, tenure, charges, churned). @defaultValue 0.03 */
  readonly missingRate?: number;
}

/** The columns of the customer table, in order (`churned` is the target: "yes" or "no"). */
export const CUSTOMER_COLUMNS = [
  'customer_id',
  'plan',
  'region',
  'tenure_months',
  'monthly_charges',
  'support_calls',
  'paperless_billing',
  'senior',
  'churned',
] as const;

const PLANS = ['basic', 'plus', 'pro'];
const REGIONS = ['north', 'south', 'east', 'west'];

/**
 * A seeded churn table that looks like a real export: a string id, text categories, integer counts, money, a 0/1
 * flag, empty cells, and text labels. Churn is more likely on the basic plan, early in the tenure, with high charges
 * and many support calls. Same options ⇒ same rows (numpy's RandomState underneath). Cells as CSV text.
 */
export function makeCustomers(options: MakeCustomersOptions = {}): string[][] {
  const n = options.nSamples ?? 2000;
  const missingRate = options.missingRate ?? 0.03;
  if (!Number.isInteger(n) || n < 10 || n > 1_000_000) {
    throw new InvalidParameterError('nSamples', n, 'an integer from 10 to 1,000,000');
  }
  if (!(missingRate >= 0 && missingRate < 0.5))
    throw new InvalidParameterError('missingRate', missingRate, 'in [0, 0.5)');
  const rng = new RandomState(options.randomState ?? 7);
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    const plan = PLANS[rng.randint(0, 3)]!;
    const region = REGIONS[rng.randint(0, 4)]!;
    const tenure = rng.randint(1, 73);
    const charges = Math.round((20 + rng.randomSample() * 100) * 100) / 100;
    const calls = Math.min(6, Math.floor(-Math.log(1 - rng.randomSample()) * 1.5));
    const paperless = rng.randomSample() < 0.6 ? 'yes' : 'no';
    const senior = rng.randomSample() < 0.16 ? 1 : 0;
    const logit =
      -0.8 +
      (plan === 'basic' ? 0.9 : plan === 'pro' ? -0.6 : 0) -
      0.045 * tenure +
      0.018 * charges +
      0.35 * calls +
      (paperless === 'yes' ? 0.3 : 0) +
      0.4 * senior +
      rng.standardNormal() * 0.8;
    const churned = logit > 0 ? 'yes' : 'no';
    const gap = (value: string) => (rng.randomSample() < missingRate ? '' : value);
    rows.push([
      `C${String(i + 1).padStart(5, '0')}`,
      gap(plan),
      gap(region),
      gap(String(tenure)),
      gap(charges.toFixed(2)),
      String(calls),
      paperless,
      String(senior),
      gap(churned),
    ]);
  }
  return rows;
}

/** The customer table as CSV text with its header. */
export function customersCsv(options: MakeCustomersOptions = {}): string {
  return `${[CUSTOMER_COLUMNS.join(','), ...makeCustomers(options).map((row) => row.join(','))].join('\n')}\n`;
}

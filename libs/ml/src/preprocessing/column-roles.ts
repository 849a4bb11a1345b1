import { InvalidDataError } from '../errors.js';
import type { DecimalMark } from '../io/csv-format.js';
import { isDecimalCell } from './csv-table.js';
import { missingCount, type RawColumn, type RawTable } from './raw-table.js';

/** A tune request's corrections to the inferred roles (column names). */
export interface ColumnRoleOverrides {
  readonly exclude?: readonly string[] | undefined;
  readonly categorical?: readonly string[] | undefined;
  readonly numeric?: readonly string[] | undefined;
}

/** A column left out of the features, and why (printed with the tuning). */
export interface ExcludedColumn {
  readonly name: string;
  readonly reason: string;
}

/** What each column of a table is used as. */
export interface ColumnRoles {
  readonly target: string;
  readonly numeric: readonly string[];
  readonly categorical: readonly string[];
  readonly excluded: readonly ExcludedColumn[];
}

/** An integer column with this many distinct values or fewer (and at least 3) is inferred categorical. */
export const MAX_INFERRED_INTEGER_CATEGORIES = 10;

/** `id`, `customer_id`, `account-key`, `Customer ID` (any case), or camelCase `customerId` (case-sensitive: not `paid`). */
/** A number written with thousands separators (`1,235.03`, `-12,000`): read as text, not as a number. */
const GROUPED_NUMBER = /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/;

const ID_NAMES = [/(^|[_\s.-])(id|uuid|guid|key)$/i, /[a-z](Id|ID|Uuid|UUID|Key)$/];

/**
 * Decides each column's role: the target; identifier-like columns excluded (text whose every value differs; an
 * integer column whose every value differs and that is named like an id or counts rows); categorical (text, or
 * integers with 3–10 distinct values); numeric (the other numbers). Overrides win and are checked: unknown names,
 * the target, a name listed twice, numbers asked of a text column and columns with no value are refused by name
 * (`decimal`: the mark the table's numbers were read with, to name the cell that is none).
 */
export function inferColumnRoles(
  table: RawTable,
  target: string,
  overrides: ColumnRoleOverrides = {},
  decimal: DecimalMark = '.',
): ColumnRoles {
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  if (!byName.has(target)) {
    throw new InvalidDataError(`no column named "${target}" (columns: ${[...byName.keys()].join(', ')})`);
  }
  const forced = checkOverrides(byName, target, overrides, decimal);
  const numeric: string[] = [];
  const categorical: string[] = [];
  const excluded: ExcludedColumn[] = [];
  for (const column of table.columns) {
    if (column.name === target) continue;
    const role = forced.get(column.name) ?? inferredRole(column);
    if (role.kind === 'excluded') {
      excluded.push({ name: column.name, reason: role.reason });
      continue;
    }
    if (missingCount(column) === column.values.length) {
      throw new InvalidDataError(`column "${column.name}" has no value in any row: exclude it or fill it`);
    }
    (role.kind === 'numeric' ? numeric : categorical).push(column.name);
  }
  if (numeric.length + categorical.length === 0) {
    throw new InvalidDataError(
      `no feature column is left besides the target "${target}" (excluded: ${names(excluded)})`,
    );
  }
  return { target, numeric, categorical, excluded };
}

type Role = { kind: 'numeric' } | { kind: 'categorical' } | { kind: 'excluded'; reason: string };

function inferredRole(column: RawColumn): Role {
  const present = presentValues(column);
  if (present.length === 0) return { kind: 'numeric' };
  const distinct = new Set<number | string>(present).size;
  const allDistinct = distinct === present.length && present.length > 1;
  if (column.kind === 'text') {
    if (!allDistinct) return { kind: 'categorical' };
    const example = (present as string[]).find((text) => GROUPED_NUMBER.test(text.trim()));
    const grouped =
      example === undefined
        ? ''
        : ` (its values look like numbers with thousands separators, such as "${example.trim()}", which read as text: write them without separators to use them as numbers)`;
    return { kind: 'excluded', reason: `every value differs: an identifier${grouped}` };
  }
  const integers = (present as number[]).every(Number.isInteger);
  if (
    integers &&
    allDistinct &&
    (ID_NAMES.some((pattern) => pattern.test(column.name)) || countsRows(present as number[]))
  ) {
    return { kind: 'excluded', reason: 'every value differs and it is named or numbered like a row id' };
  }
  if (integers && distinct >= 3 && distinct <= MAX_INFERRED_INTEGER_CATEGORIES) return { kind: 'categorical' };
  return { kind: 'numeric' };
}

function presentValues(column: RawColumn): (number | string)[] {
  const out: (number | string)[] = [];
  for (const value of column.values) {
    if (value !== null && !(typeof value === 'number' && Number.isNaN(value))) out.push(value);
  }
  return out;
}

/** 0, 1, 2, … or 1, 2, 3, … in order: a row number written out with the data. */
function countsRows(values: number[]): boolean {
  const start = values[0]!;
  return (start === 0 || start === 1) && values.every((v, i) => v === start + i);
}

function checkOverrides(
  byName: ReadonlyMap<string, RawColumn>,
  target: string,
  overrides: ColumnRoleOverrides,
  decimal: DecimalMark,
): Map<string, Role> {
  const forced = new Map<string, Role>();
  const lists = [
    ['exclude', overrides.exclude ?? [], { kind: 'excluded', reason: 'excluded by the request' }],
    ['categorical', overrides.categorical ?? [], { kind: 'categorical' }],
    ['numeric', overrides.numeric ?? [], { kind: 'numeric' }],
  ] as const;
  for (const [list, columns, role] of lists) {
    for (const name of columns) {
      const column = byName.get(name);
      const where = `columns.${list}: "${name}"`;
      if (column === undefined)
        throw new InvalidDataError(`${where} is not a column (columns: ${[...byName.keys()].join(', ')})`);
      if (name === target) throw new InvalidDataError(`${where} is the target`);
      if (forced.has(name)) throw new InvalidDataError(`${where} is given more than one role`);
      if (list === 'numeric' && column.kind === 'text') {
        const row = column.values.findIndex((v) => v !== null && !isDecimalCell(v, decimal));
        throw new InvalidDataError(`${where} holds text ("${column.values[row]}" in data row ${row + 1}), not numbers`);
      }
      forced.set(name, role);
    }
  }
  return forced;
}

function names(excluded: readonly ExcludedColumn[]): string {
  return excluded.length === 0 ? 'none' : excluded.map((e) => e.name).join(', ');
}

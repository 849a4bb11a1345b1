/** Parameter names a series label shortens (`class_weight=balanced` → `cw=balanced`): the legend has to stay narrow. */
const SHORT_NAMES: readonly (readonly [long: string, short: string])[] = [
  ['class_weight=', 'cw='],
  ['categorical_missing=', 'cat_missing='],
  ['intercept_scaling=', 'int_scaling='],
  ['fit_intercept=', 'intercept='],
  ['random_state=', 'seed='],
];

/** Characters per legend line: a longer label wraps between words (each entry grows a line instead of being cut). */
const LINE_CHARS = 36;
/** Vega's headless text width estimate per character of a 10px label (a browser's text is narrower). */
const CHAR_PX = 8;
/** Vega's default legend label width, and the widest this legend allows (a longer word is cut with `…`). */
const LABEL_LIMIT = { min: 160, max: 480 } as const;

/** A series label as the legend shows it: parameter names shortened, wrapped into lines when long. */
export function seriesLabel(series: string): string | string[] {
  const words = series.split(' ').map((word) => {
    const short = SHORT_NAMES.find(([long]) => word.startsWith(long));
    return short === undefined ? word : short[1] + word.slice(short[0].length);
  });
  const lines: string[] = [];
  for (const word of words) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + word.length <= LINE_CHARS) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.length === 1 ? lines[0]! : lines;
}

/** The signals (Vega-Lite params) holding the series and their legend labels, which the label expression reads. */
const SIGNALS = { names: 'series_names', labels: 'series_labels' } as const;

/**
 * A legend label by the series' index: names and labels are data (signal values), never string constants in the
 * expression, which Vega parses wrongly for a name of an `Object.prototype` member (`constructor`, `toString`).
 */
const LABEL_EXPR = `indexof(${SIGNALS.names}, datum.label) < 0 ? datum.label : ${SIGNALS.labels}[indexof(${SIGNALS.names}, datum.label)]`;

/**
 * The legend of a figure's series (Vega-Lite legend properties) and the params its labels read (to put at the top
 * of the spec): each label shortened and wrapped by {@link seriesLabel} (the data keeps the full series, the legend
 * maps it), as wide as its longest line needs (Vega cuts labels at 160px by default: `liblinear class_weight=…` four
 * times over), titled `solver` unless the series name other parameters too.
 */
export function seriesLegend(series: readonly string[]) {
  const names = [...new Set(series)];
  const labels = names.map(seriesLabel);
  const longest = Math.max(0, ...labels.flat().map((line) => line.length));
  const mapped = labels.some((label, i) => label !== names[i]);
  return {
    legend: {
      title: names.some((name) => name.includes(' ')) ? 'solver and settings' : 'solver',
      labelLimit: Math.min(LABEL_LIMIT.max, Math.max(LABEL_LIMIT.min, (longest + 1) * CHAR_PX)),
      ...(mapped ? { labelExpr: LABEL_EXPR } : {}),
    },
    params: mapped
      ? [
          { name: SIGNALS.names, value: names },
          { name: SIGNALS.labels, value: labels },
        ]
      : [],
  };
}

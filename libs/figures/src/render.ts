import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A Vega-Lite specification (data inlined): what every builder of this package returns. */
export type FigureSpec = TopLevelSpec;

/**
 * Renders a Vega-Lite spec to standalone SVG text in this process (Vega's headless view: no browser, no canvas;
 * text widths are estimated). Deterministic for the same spec. Used to log figures as MLflow artifacts.
 */
export async function renderSvg(spec: FigureSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

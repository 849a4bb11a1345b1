import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What a headless page load needs: the page's URL, how long its scripts may run, and the window size. */
export interface PageLoad {
  readonly url: string;
  /** Virtual time the page's scripts get before the DOM is read or the picture taken. @defaultValue 15000 */
  readonly budgetMs?: number;
  /** @defaultValue [1400, 1000] */
  readonly size?: readonly [number, number];
}

/** Debian's `chromium`, headless, in a fresh profile (so no state leaks between loads); stdout is what it printed. */
async function chromium(page: PageLoad, extra: readonly string[]): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
  const [width, height] = page.size ?? [1400, 1000];
  try {
    const { stdout } = await run(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
        `--virtual-time-budget=${page.budgetMs ?? 15_000}`,
        ...extra,
        page.url,
      ],
      { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
    );
    return stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** The page's DOM after its scripts ran: what a person would see, as HTML. */
export function renderedDom(page: PageLoad): Promise<string> {
  return chromium(page, ['--dump-dom']);
}

/** Saves a PNG screenshot of the page once its scripts ran. */
export async function screenshot(page: PageLoad, path: string): Promise<void> {
  await chromium(page, [`--screenshot=${path}`]);
}

import type { RunCompleted, RunFailed } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { PLAIN_PROGRESS_INTERVAL_MS, progressScreen } from '../src/commands/tune.js';
import type { CliIo } from '../src/io.js';
import type { TuningProgress } from '../src/tune/report.js';

// How `mlops tune` (and `mlops up`, which runs it) shows a tuning's progress: a bar redrawn with \r on a terminal,
// plain lines, a few per tuning, where stderr is a log file or a pipe.

/** An io whose output is recorded chunk by chunk. */
function recordingIo(stderrIsTTY: boolean | undefined) {
  const stderr: string[] = [];
  const stdout: string[] = [];
  const io: CliIo = {
    stdout: (text) => stdout.push(text),
    stderr: (text) => stderr.push(text),
    cwd: '/d',
    env: {},
    ...(stderrIsTTY === undefined ? {} : { stderrIsTTY }),
  };
  return { io, stderr, stdout };
}

/** A tuning of `total` trials with `completed` done and `failed` failed (only the counts matter to the display). */
function progress(total: number | undefined, completed: number, failed = 0): TuningProgress {
  return {
    trialCount: total,
    completed: Array.from({ length: completed }, () => ({}) as RunCompleted['data']),
    failed: Array.from({ length: failed }, () => ({}) as RunFailed['data']),
  };
}

/** A clock the test moves. */
function clock() {
  let nowMs = 1_000_000;
  return {
    now: () => nowMs,
    at: (offsetMs: number) => {
      nowMs = 1_000_000 + offsetMs;
    },
  };
}

describe('mlops tune progress', () => {
  it('when stderr is a terminal, then the bar is redrawn in place with \\r and ended by a newline before a message', () => {
    const { io, stderr, stdout } = recordingIo(true);
    const screen = progressScreen(io);
    screen.draw(progress(4, 0));
    screen.draw(progress(4, 1));
    screen.draw(progress(4, 2, 1));
    screen.say('a message\n');
    screen.draw(progress(4, 3, 1));
    screen.print('the table\n');

    expect(stderr).toEqual([
      `\r[${'.'.repeat(30)}] 0/4 trials`,
      `\r[${'#'.repeat(8)}${'.'.repeat(22)}] 1/4 trials`,
      `\r[${'#'.repeat(23)}${'.'.repeat(7)}] 3/4 trials (1 failed)`,
      '\n',
      'a message\n',
      `\r[${'#'.repeat(30)}] 4/4 trials (1 failed)`,
      '\n',
    ]);
    expect(stdout).toEqual(['the table\n']);
  });

  it('when stderr is not a terminal, then plain lines: the first trial ended, each tenth, after the interval, before a message, at the end; never \\r', () => {
    const { io, stderr, stdout } = recordingIo(false);
    const time = clock();
    const screen = progressScreen(io, time.now);
    const drawAt = (offsetMs: number, p: TuningProgress) => {
      time.at(offsetMs);
      screen.draw(p);
    };
    drawAt(0, progress(40, 0)); // nothing ended yet: nothing to tell
    drawAt(1000, progress(40, 1)); // the first: written
    drawAt(2000, progress(40, 1)); // the same again: nothing
    drawAt(2500, progress(40, 2)); // within the first tenth: not yet
    drawAt(3000, progress(40, 4)); // a tenth done
    drawAt(5000, progress(40, 5));
    drawAt(3000 + PLAIN_PROGRESS_INTERVAL_MS - 1, progress(40, 5));
    drawAt(3000 + PLAIN_PROGRESS_INTERVAL_MS, progress(40, 6)); // no new tenth, but the interval passed
    drawAt(3000 + PLAIN_PROGRESS_INTERVAL_MS + 1000, progress(40, 6, 1)); // held back …
    screen.say('a message\n'); // … and written before the message
    drawAt(3000 + PLAIN_PROGRESS_INTERVAL_MS + 2000, progress(40, 39, 1)); // all done
    screen.print('the table\n');

    expect(stderr).toEqual([
      'progress: 1/40 trials (2 %)\n',
      'progress: 4/40 trials (10 %)\n',
      'progress: 6/40 trials (15 %)\n',
      'progress: 7/40 trials (17 %), 1 failed\n',
      'a message\n',
      'progress: 40/40 trials (100 %), 1 failed\n',
    ]);
    expect(stdout).toEqual(['the table\n']);
  });

  it('when a tuning of many trials runs without a terminal, then a few lines stand for it, the last one at the end', () => {
    const { io, stderr } = recordingIo(undefined); // an io that does not say: not a terminal
    const screen = progressScreen(io, () => 0); // all within one interval
    for (let done = 0; done <= 1000; done++) screen.draw(progress(1000, done));
    screen.print('the table\n');

    expect(stderr.join('')).not.toContain('\r');
    expect(stderr).toHaveLength(11);
    expect(stderr.at(5)).toBe('progress: 500/1000 trials (50 %)\n');
    expect(stderr.at(-1)).toBe('progress: 1000/1000 trials (100 %)\n');
  });
});

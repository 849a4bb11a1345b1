import type { ConfigError } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

/** The problems loadConfig refuses `env` with, or undefined when it loads. */
function problems(env: Record<string, string>): readonly string[] | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

describe('the monitor configuration', () => {
  it('when MONITOR_HOST is empty, then the start is refused (listen would bind every interface)', () => {
    expect(problems({ MONITOR_HOST: '' })).toEqual([
      'MONITOR_HOST: is empty: unset it to bind 127.0.0.1, or give 0.0.0.0 (or ::) to bind every interface',
    ]);
  });

  it("when MONITOR_WINDOW_SECONDS is longer than the window's timer and the consumer's ack wait hold, then the start is refused", () => {
    expect(problems({ MONITOR_WINDOW_SECONDS: '1e10' })).toEqual([
      expect.stringMatching(/^MONITOR_WINDOW_SECONDS: must be at most 1000000 \(about 11\.6 days\)/),
    ]);
    expect(problems({ MONITOR_WINDOW_SECONDS: '1e400' })).toEqual([
      'MONITOR_WINDOW_SECONDS: "1e400" is too large a number to hold',
    ]);
    expect(loadConfig({ MONITOR_WINDOW_SECONDS: '1000000' }).window.ms).toBe(1e9);
  });
});

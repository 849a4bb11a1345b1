import { describe, expect, it } from 'vitest';
import { LocalStackError } from '../src/errors.js';
import { DEFAULT_RESTART_POLICY, type RestartDecision, RestartPolicy } from '../src/restart-policy.js';

/** A clock that only moves when told to. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** The decisions for exits `gapMs` apart (the first at the clock's start). */
function exitsEvery(policy: RestartPolicy, clock: ReturnType<typeof fakeClock>, gapMs: number, count: number) {
  const decisions: RestartDecision[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) clock.advance(gapMs);
    decisions.push(policy.onExit());
  }
  return decisions;
}

describe('RestartPolicy', () => {
  it('when a process keeps exiting quickly, then the waits double from 0.5 s and the fifth exit within 60 s gives up', () => {
    const clock = fakeClock();
    const decisions = exitsEvery(new RestartPolicy({}, clock.now), clock, 1000, 5);
    expect(decisions).toEqual([
      { action: 'restart', delayMs: 500, recentExits: 1 },
      { action: 'restart', delayMs: 1000, recentExits: 2 },
      { action: 'restart', delayMs: 2000, recentExits: 3 },
      { action: 'restart', delayMs: 4000, recentExits: 4 },
      { action: 'give-up', recentExits: 5, windowMs: 60_000 },
    ]);
  });

  it('when the crash-loop limit is higher, then the wait stops growing at the cap', () => {
    const clock = fakeClock();
    const policy = new RestartPolicy({ crashLoopExits: 100, crashLoopWindowMs: 3_600_000 }, clock.now);
    const delays = exitsEvery(policy, clock, 10, 8).map((d) => (d.action === 'restart' ? d.delayMs : -1));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it('when five exits are spread over exactly the window, then the oldest has left it and the process is restarted', () => {
    const clock = fakeClock();
    const decisions = exitsEvery(new RestartPolicy({}, clock.now), clock, 15_000, 5);
    expect(decisions.at(-1)).toEqual({ action: 'restart', delayMs: 4000, recentExits: 4 });
  });

  it('when five exits fall just inside the window, then it is a crash loop', () => {
    const clock = fakeClock();
    const decisions = exitsEvery(new RestartPolicy({}, clock.now), clock, 14_999, 5);
    expect(decisions.at(-1)).toEqual({ action: 'give-up', recentExits: 5, windowMs: 60_000 });
  });

  it('when a process stayed up longer than the window, then the next wait starts again at the initial one', () => {
    const clock = fakeClock();
    const policy = new RestartPolicy({}, clock.now);
    exitsEvery(policy, clock, 100, 3);
    clock.advance(60_000);
    expect(policy.onExit()).toEqual({ action: 'restart', delayMs: 500, recentExits: 1 });
  });

  it('when options are given, then they replace the defaults one by one', () => {
    const clock = fakeClock();
    const policy = new RestartPolicy({ initialDelayMs: 100, factor: 3, crashLoopExits: 3 }, clock.now);
    expect(exitsEvery(policy, clock, 1, 3)).toEqual([
      { action: 'restart', delayMs: 100, recentExits: 1 },
      { action: 'restart', delayMs: 300, recentExits: 2 },
      { action: 'give-up', recentExits: 3, windowMs: DEFAULT_RESTART_POLICY.crashLoopWindowMs },
    ]);
  });

  it.each([
    [{ initialDelayMs: -1 }, /initialDelayMs must be ≥ 0/],
    [{ maxDelayMs: Number.NaN }, /maxDelayMs must be ≥ 0/],
    [{ factor: 0.5 }, /factor must be ≥ 1/],
    [{ crashLoopExits: 0 }, /crashLoopExits ≥ 1/],
  ])('when given %j, then it refuses with a LocalStackError', (options, message) => {
    expect(() => new RestartPolicy(options)).toThrow(LocalStackError);
    expect(() => new RestartPolicy(options)).toThrow(message);
  });
});

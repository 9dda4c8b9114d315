import { describe, expect, it } from 'vitest';
import { ArrivalEstimate } from '../../../hardware/bridge/ArrivalEstimate.ts';

/**
 * A server streaming at 500 Hz on a clock 1000 s ahead of the client's, 150 µs on the wire, read
 * by a client that drains its socket once per 20 ms tick: every frame that came during the tick's
 * sleep is read at the drain. The drains' phase against the frames wanders (as a host's wake-ups
 * do) over one state period.
 */
function drained(ratio = 1, opts: { offset?: number; wire?: number; seconds?: number } = {}) {
  const offset = opts.offset ?? 1000;
  const wire = opts.wire ?? 150e-6;
  const seconds = opts.seconds ?? 5;
  const out: { time: number; arrived: number; readAt: number }[] = [];
  for (let k = 1; k <= seconds * 500; k++) {
    const arrived = k * 0.002 + wire; // client clock
    const time = (k * 0.002) * ratio + offset; // the server's stamp
    let m = Math.floor(arrived / 0.02);
    while (drainAt(m) < arrived) m++;
    const readAt = drainAt(m); // the next drain
    out.push({ time, arrived, readAt });
  }
  return out;
}

/** The m-th drain: on the 20 ms grid, 30 µs after a phase that wanders over 2 ms. */
function drainAt(m: number): number {
  return m * 0.02 + ((m * 37) % 100) * 20e-6 + 30e-6;
}

describe('ArrivalEstimate', () => {
  it('stamps a frame read late with its arrival, from the server stamp, within a state period', () => {
    const a = new ArrivalEstimate(0.025);
    const errors = drained().map((f) => a.stamp(f.time, f.readAt) - f.arrived);
    // The read time is up to 20 ms late; after the first tick the stamps are not, and never later than the read.
    const late = drained().map((f) => f.readAt - f.arrived);
    expect(Math.max(...late)).toBeGreaterThan(0.019);
    const settled = errors.slice(10);
    expect(Math.max(...settled.map(Math.abs))).toBeLessThan(0.002);
    // The best-read frame of each window sets it: the rest are stamped within 30 µs (the drain's delay) + 20 µs (the phase's step) of the truth.
    expect(Math.max(...errors.slice(500).map(Math.abs))).toBeLessThan(55e-6);
  });

  it('is never later than the read, and exact for a frame read at once', () => {
    const a = new ArrivalEstimate(1);
    for (const f of drained()) expect(a.stamp(f.time, f.readAt)).toBeLessThanOrEqual(f.readAt);
    const b = new ArrivalEstimate(1);
    // Read at once, every one: the stamp is the read time.
    for (const f of drained()) expect(b.stamp(f.time, f.arrived)).toBeCloseTo(f.arrived, 9);
  });

  it('follows two clocks that drift apart (50 ppm either way) window by window', () => {
    for (const ratio of [1 + 50e-6, 1 - 50e-6]) {
      const a = new ArrivalEstimate(0.025);
      const frames = drained(ratio, { seconds: 60 });
      const errors = frames.map((f) => Math.abs(a.stamp(f.time, f.readAt) - f.arrived)).slice(1000);
      // Up to five 0.25 s windows of drift: 62 µs at most, plus 50 µs of the best read.
      expect(Math.max(...errors)).toBeLessThan(115e-6);
    }
  });

  it("caps the correction: a server stamping slow sim time cannot make its frames look stale by itself", () => {
    // Stamps running at 0.8x real time: the minimum lags behind by 20 % of up to five windows.
    const a = new ArrivalEstimate(0.025);
    const frames = drained(0.8, { seconds: 10 });
    const corrections = frames.map((f) => f.readAt - a.stamp(f.time, f.readAt));
    expect(Math.max(...corrections)).toBeLessThanOrEqual(0.025 + 1e-12);
    expect(Math.max(...corrections)).toBeGreaterThan(0.024); // it would have gone beyond
  });

  it('one frame with a wrong stamp (a server clock that stepped once) moves no other frame', () => {
    const a = new ArrivalEstimate(0.025);
    const frames = drained(1, { seconds: 5 });
    const errors = frames.map((f, i) => {
      const wrong = i === 1500 ? 0.1 : 0; // stamped 100 ms ahead
      return Math.abs(a.stamp(f.time + wrong, f.readAt) - f.arrived);
    });
    expect(Math.max(...errors.slice(500, 1500))).toBeLessThan(55e-6);
    expect(Math.max(...errors.slice(1501))).toBeLessThan(55e-6);
  });

  it('a server clock that steps for good is followed within a few windows', () => {
    for (const step of [0.1, -0.1]) {
      const a = new ArrivalEstimate(0.025);
      const frames = drained(1, { seconds: 5 });
      const errors = frames.map((f, i) => Math.abs(a.stamp(f.time + (i >= 1000 ? step : 0), f.readAt) - f.arrived));
      expect(Math.max(...errors.slice(1000 + 500))).toBeLessThan(55e-6); // a second later
    }
  });

  it('a non-finite server stamp is taken as read; reset forgets the old link', () => {
    const a = new ArrivalEstimate(0.025);
    expect(a.stamp(Number.NaN, 5)).toBe(5);
    expect(a.stamp(1000.0, 2.0)).toBe(2.0);
    expect(a.stamp(1000.002, 2.012)).toBeCloseTo(2.002, 12); // read 10 ms late
    a.reset();
    // A restarted server on another clock origin: learned afresh (not 10 s "early" from the old offset).
    expect(a.stamp(10.0, 2.02)).toBeCloseTo(2.02, 12);
  });
});

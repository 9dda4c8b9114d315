import { describe, expect, it } from 'vitest';
import { BusCycle } from '../../hardware/robots/BusCycle.ts';

/** A cycle that waits until released, so tests decide when each one ends. */
function gated() {
  const releases: (() => void)[] = [];
  let runs = 0;
  const once = () =>
    new Promise<void>((r) => {
      runs++;
      releases.push(r);
    });
  return { once, release: () => releases.shift()!(), runs: () => runs };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('BusCycle', () => {
  it('requests during a cycle coalesce into one more cycle', async () => {
    const g = gated();
    const c = new BusCycle(g.once, () => undefined);
    c.request();
    c.request();
    c.request();
    expect(g.runs()).toBe(1);
    g.release();
    await flush();
    expect(g.runs()).toBe(2); // the three requests owed one more
    g.release();
    await c.settle();
    expect(g.runs()).toBe(2);
    c.request(); // idle: starts at once
    expect(g.runs()).toBe(3);
    g.release();
    await c.settle();
  });

  it('no cycle after close or once the link is lost; a failing cycle shows in settle()', async () => {
    const g = gated();
    let lost: Error | undefined;
    const c = new BusCycle(g.once, () => lost);
    c.request();
    c.request();
    lost = new Error('unplugged');
    g.release();
    await c.settle();
    expect(g.runs()).toBe(1); // the owed cycle is dropped: the link is gone
    lost = undefined;
    c.closed = true;
    c.request();
    expect(g.runs()).toBe(1);
    const f = new BusCycle(() => Promise.reject(new Error('boom')), () => undefined);
    f.request();
    await expect(f.settle()).rejects.toThrow('boom');
    f.request(); // not stuck busy after a failure
    await expect(f.settle()).rejects.toThrow('boom');
  });
});

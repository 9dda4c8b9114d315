/** The token bucket both WebSocket servers bound their peers with (src/core/TokenBucket.ts), on virtual time. */
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/core/TokenBucket.ts';

describe('TokenBucket', () => {
  it('starts full, refills at its rate up to its burst, and a refused take spends nothing', () => {
    const b = new TokenBucket(8, 5, 100);
    for (let i = 0; i < 5; i++) expect(b.take(1, 100)).toBe(true);
    expect(b.take(1, 100)).toBe(false);
    expect(b.take(1, 100.0625)).toBe(false); // half a token back
    expect(b.take(1, 100.125)).toBe(true); // one
    expect(b.take(3, 200)).toBe(true); // full again, never above 5
    expect(b.take(3, 200)).toBe(false);
    expect(b.take(2, 200)).toBe(true);
  });

  it('a clock that goes back refills nothing', () => {
    const b = new TokenBucket(1000, 2, 50);
    expect(b.take(2, 50)).toBe(true);
    expect(b.take(1, 10)).toBe(false);
    expect(b.take(1, 10)).toBe(false);
  });
});

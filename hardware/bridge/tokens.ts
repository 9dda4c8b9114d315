import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** Environment variable both `axon bridge` and a client read a token from when no flag gives one. */
export const TOKEN_ENV = 'AXON_BRIDGE_TOKEN';

/** A fresh random token: 128 bits, hex. */
export function generateToken(): string {
  return randomBytes(16).toString('hex');
}

/** Compares a presented token with the expected one in constant time (no length or prefix leak). */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * True when `host` only accepts connections from this machine: localhost, 127.0.0.0/8, ::1.
 * Anything else (0.0.0.0, ::, a LAN address, a name) is reachable from elsewhere.
 */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

import { InvalidArgumentError } from '@commander-js/extra-typings';

/** Commander argument parsers: each rejects with what was expected, never a stack trace. */
export function positiveNumber(v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x <= 0) throw new InvalidArgumentError('expected a positive number');
  return x;
}

/** The most physics steps a second any simulation is run at (`--physics-hz`, `bridge --rate`). */
export const MAX_PHYSICS_HZ = 20_000;

/**
 * A physics rate (`--physics-hz`): positive and at most MAX_PHYSICS_HZ. Without the bound, 1e9 Hz
 * made each tick millions of physics steps with no yield, so that Ctrl-C could not stop the run.
 */
export function physicsRate(v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x <= 0 || x > MAX_PHYSICS_HZ) throw new InvalidArgumentError(`expected a physics rate above 0 and at most ${MAX_PHYSICS_HZ} Hz`);
  return x;
}

export function positiveInt(v: string): number {
  const x = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(x) || x <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return x;
}

export function seedInt(v: string): number {
  const x = Number(v);
  if (!/^\d+$/.test(v.trim()) || x > 0xffffffff) throw new InvalidArgumentError('expected a whole number from 0 to 4294967295');
  return x;
}

/** A TCP port, 0 meaning any free one. */
export function portNumber(v: string): number {
  const x = Number(v);
  if (!/^\d+$/.test(v) || x > 65535) throw new InvalidArgumentError('expected a port 0-65535');
  return x;
}

/**
 * A flag given once per value (`--urdf-package-path A --urdf-package-path B`): each use adds one.
 * Not a variadic `<dirs...>`, which would also take the positional argument written after it.
 */
export function repeated(v: string, before: string[]): string[] {
  return [...before, v];
}

/** A finite number >= 0 (a gain, an armature, a delay); commander's error names the flag and the value. */
export function nonNegative(v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !(x >= 0) || !Number.isFinite(x)) throw new InvalidArgumentError('expected a finite number >= 0');
  return x;
}

/**
 * `--allow-origin URL` (repeatable): the origin of a page allowed to open the viewer, e.g. an https
 * reverse proxy in front of it: `http(s)://host[:port]`, no path, query or user; returned as the
 * browser's Origin header would say it (`https://robot.example.com`, default port dropped).
 */
export function allowOriginArg(v: string, previous: readonly string[] = []): string[] {
  return [...previous, parseOrigin(v)];
}

function parseOrigin(v: string): string {
  const expected = 'expected an origin such as https://robot.example.com or http://10.0.0.5:8443 (http or https, a host, an optional port; no path, query or user)';
  let u: URL;
  try {
    u = new URL(v.trim());
  } catch {
    throw new InvalidArgumentError(expected);
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '' || u.username !== '' || u.password !== '' || u.pathname !== '/' || u.search !== '' || u.hash !== '' || /^[a-z]+:\/\/[^/]*\/./i.test(v.trim()))
    throw new InvalidArgumentError(expected);
  return u.origin;
}

/** The option parsers whose options repeat, each use adding a value (main.ts refuses a second use of any other). */
export const REPEATABLE: ReadonlySet<unknown> = new Set<unknown>([repeated, allowOriginArg]);

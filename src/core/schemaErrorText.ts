/**
 * A TypeBox schema error as one line of an AxonError (docs/style.md 5): the offending value, and
 * for a union what it allows ("expected one of 9600, 57600, ..."), where TypeBox says only
 * "Expected union value".
 */
import type { TSchema } from '@sinclair/typebox';
import type { ValueError } from '@sinclair/typebox/value';

/** `message` (what is wrong, with the value) and, for a union, `expected` (what it allows). */
export function schemaErrorText(e: ValueError): { message: string; expected?: string } {
  const value = e.value === undefined ? 'missing' : shown(e.value);
  const anyOf = (e.schema as { anyOf?: TSchema[] }).anyOf;
  if (Array.isArray(anyOf) && anyOf.length > 0) {
    const allowed = anyOf.map(describe);
    if (allowed.every((a) => a !== undefined)) {
      const literals = anyOf.every((s) => 'const' in s);
      return { message: `is ${value}`, expected: literals ? `one of ${allowed.join(', ')}` : allowed.join(' or ') };
    }
  }
  return { message: `${e.message}, got ${value}` };
}

/**
 * A value as JSON, except a number JSON cannot write: JSON.parse makes Infinity of a literal past the
 * largest double (`1e400`), which JSON.stringify would print as "null".
 */
function shown(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : `${v} (a number past the largest double, about 1.8e308)`;
  return JSON.stringify(v);
}

/** A schema in words ("a number > 0", "a list of numbers"), or undefined for one this does not word. */
function describe(s: TSchema): string | undefined {
  if ('const' in s) return String(s.const);
  if (Array.isArray(s.anyOf)) {
    const parts = (s.anyOf as TSchema[]).map(describe);
    return parts.every((p) => p !== undefined) ? parts.join(' or ') : undefined;
  }
  switch (s.type) {
    case 'number':
      return `a number${bounds(s)}`;
    case 'integer':
      return `a whole number${bounds(s)}`;
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'object':
      return 'an object';
    case 'array': {
      const it = s.items as TSchema | undefined;
      const of = it?.type === 'number' ? ` of numbers${bounds(it)}` : it?.type === 'integer' ? ` of whole numbers${bounds(it)}` : it?.type === 'string' ? ' of strings' : '';
      return `a list${of}`;
    }
    default:
      return undefined;
  }
}

function bounds(s: TSchema): string {
  const b: string[] = [];
  if (typeof s.minimum === 'number') b.push(`>= ${s.minimum}`);
  if (typeof s.exclusiveMinimum === 'number') b.push(`> ${s.exclusiveMinimum}`);
  if (typeof s.maximum === 'number') b.push(`<= ${s.maximum}`);
  if (typeof s.exclusiveMaximum === 'number') b.push(`< ${s.exclusiveMaximum}`);
  return b.length ? ` ${b.join(' and ')}` : '';
}

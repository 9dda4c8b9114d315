/**
 * Reading URDF XML as fast-xml-parser gives it (attributes as "@_name", an empty element as ''):
 * attributes, children, numbers and origins, each failing with a UrdfError that names where.
 */
import type { UrdfErrorCode, UrdfOrigin, Vec3Tuple } from './parseUrdf.ts';

export type XmlNode = Record<string, unknown>;
export type Fail = (code: UrdfErrorCode, where: string, message: string, expected?: string) => never;
export type Note = (code: string, where: string, message: string) => void;

const ZERO_ORIGIN: UrdfOrigin = { xyz: [0, 0, 0], rpy: [0, 0, 0] };

export function parseOrigin(node: XmlNode | undefined, where: string, fail: Fail): UrdfOrigin {
  if (node === undefined) return ZERO_ORIGIN;
  const xyzText = attr(node, 'xyz');
  const rpyText = attr(node, 'rpy');
  return {
    xyz: xyzText === undefined ? [0, 0, 0] : (numbers(xyzText, 3, where, 'xyz', fail) as Vec3Tuple),
    rpy: rpyText === undefined ? [0, 0, 0] : (numbers(rpyText, 3, where, 'rpy', fail) as Vec3Tuple),
  };
}

export function attr(node: XmlNode, name: string): string | undefined {
  const v = node[`@_${name}`];
  return typeof v === 'string' ? v : v === undefined ? undefined : String(v);
}

export function requireAttr(node: XmlNode, name: string, where: string, fail: Fail): string {
  const v = attr(node, name);
  if (v === undefined) fail('URDF_ATTRIBUTE', where, `attribute "${name}" is missing`, `a "${name}" attribute`);
  return v!;
}

/** The first child element with this tag, as a node (an empty element parses as ''). */
export function child(node: XmlNode, tag: string): XmlNode | undefined {
  let v = node[tag];
  if (Array.isArray(v)) v = v[0];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'object' ? (v as XmlNode) : {};
}

export function children(node: XmlNode, tag: string): XmlNode[] {
  const v = node[tag];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (typeof x === 'object' && x !== null ? (x as XmlNode) : {}));
}

export function number(text: string, where: string, name: string, fail: Fail): number {
  const t = text.trim();
  const v = t === '' ? NaN : Number(t);
  if (!Number.isFinite(v)) fail('URDF_NUMBER', where, `attribute "${name}" is "${text}"`, 'a finite number');
  return v;
}

export function optionalNumber(node: XmlNode, name: string, fallback: number, where: string, fail: Fail): number {
  const text = attr(node, name);
  return text === undefined ? fallback : number(text, where, name, fail);
}

export function numbers(text: string, count: number, where: string, name: string, fail: Fail): number[] {
  const parts = text.trim().split(/\s+/).filter((p) => p !== '');
  if (parts.length !== count) fail('URDF_NUMBER', where, `attribute "${name}" is "${text}" (${parts.length} numbers)`, `${count} finite numbers separated by spaces`);
  return parts.map((p) => {
    const v = Number(p);
    if (!Number.isFinite(v)) fail('URDF_NUMBER', where, `attribute "${name}" is "${text}"`, `${count} finite numbers separated by spaces`);
    return v;
  });
}

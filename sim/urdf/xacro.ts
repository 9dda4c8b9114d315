/**
 * A xacro file given where a URDF goes. ROS descriptions ship their robots as .urdf.xacro (macros,
 * properties, includes, `${...}` and `$(find ...)` substitutions) and the URDF is what ROS's
 * `xacro` program writes from it; read as a URDF, a xacro file fails somewhere inside with an error
 * about a link or a number that names the wrong cause. An expanded URDF may keep the
 * `xmlns:xacro` declaration on its <robot> (xacro writes it back), so only xacro's elements and
 * substitutions mark a file as unexpanded.
 */
import type { XmlNode } from './urdfXml.ts';

/** The first mark of an unexpanded xacro file (an element or a substitution), or undefined. */
export function firstXacroMark(node: XmlNode, where = '<robot>'): string | undefined {
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('@_')) {
      if (typeof value === 'string' && /\$\{|\$\((find|arg|eval|env|optenv|dirname)\b/.test(value)) return `${where}: ${key.slice(2)}="${value}"`;
      continue;
    }
    if (key.startsWith('xacro:')) return `<${key}>`;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === null || typeof item !== 'object') continue;
      const name = (item as XmlNode)['@_name'];
      const found = firstXacroMark(item as XmlNode, `<${key}${typeof name === 'string' ? ` name="${name}"` : ''}>`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

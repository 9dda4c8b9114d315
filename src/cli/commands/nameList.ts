import { InvalidArgumentError } from '@commander-js/extra-typings';

/**
 * A list of names given on the command line: bare names separated by commas (`a, b,c`), or the
 * list as Python prints it (`['a', 'b']`, `("a", "b")`: what `env.scene["robot"].joint_names` and
 * `gym.get_asset_dof_names` print, pasted as is). Entries are trimmed; an empty entry stays empty
 * (`--sdk-joints a,,b`, `['a', '', 'b']`). A bracket without its partner or a quote without its
 * closing one is refused, naming `flag` and the entry.
 */
export function nameList(v: string, flag: string): string[] {
  const bad = (what: string) => new InvalidArgumentError(`${flag} ${what}: give bare names separated by commas (a,b,c), or the whole list as Python prints it (['a', 'b', 'c'])`);
  let t = v.trim();
  const open = t[0];
  const close = open === '[' ? ']' : open === '(' ? ')' : undefined;
  if (close !== undefined) {
    if (!t.endsWith(close)) throw bad(`starts with "${open}" but does not end with "${close}"`);
    t = t.slice(1, -1);
  } else if (/^[\])]|[\[(]$/.test(t) || (t.endsWith(']') && !t.includes('[')) || (t.endsWith(')') && !t.includes('(')))
    throw bad(`has a bracket without its partner ("${t.length > 40 ? `${t.slice(0, 37)}...` : t}")`);
  const out: string[] = [];
  let p = 0;
  for (;;) {
    while (p < t.length && /\s/.test(t[p])) p++;
    let name: string;
    const q = t[p];
    if (q === "'" || q === '"') {
      const end = t.indexOf(q, p + 1);
      if (end < 0) throw bad(`entry ${out.length + 1} opens a ${q === "'" ? 'single' : 'double'} quote and does not close it (${t.slice(p, p + 40)})`);
      name = t.slice(p + 1, end);
      p = end + 1;
      while (p < t.length && /\s/.test(t[p])) p++;
      if (p < t.length && t[p] !== ',') throw bad(`entry ${out.length + 1} ("${name}") is followed by "${t.slice(p, p + 20)}" before the next comma`);
    } else {
      const end = t.indexOf(',', p);
      name = (end < 0 ? t.slice(p) : t.slice(p, end)).trim();
      p = end < 0 ? t.length : end;
      if (/['"]/.test(name)) throw bad(`entry ${out.length + 1} ("${name}") has a quote that is not around the whole name`);
    }
    out.push(name);
    if (p >= t.length) break;
    p++; // the comma
    if (close !== undefined && t.slice(p).trim() === '') break; // Python's trailing comma: ['a', 'b',]
  }
  return out;
}

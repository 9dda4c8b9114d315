/** YAML as Python's training pipelines dump it (PyYAML, with Python tags). */
import { parseDocument, visit, Scalar, isScalar, type CollectionTag } from 'yaml';
import { ImportError, isObj, type Obj } from './common.ts';
import { numpyScalar, orderedDict, yamlKeyPath, type NumpyDecoded } from './pythonObjects.ts';

const PY = 'tag:yaml.org,2002:python/';

/** `!!python/tuple [a, b]` -> [a, b]. */
const pythonTuple: CollectionTag = {
  tag: `${PY}tuple`,
  collection: 'seq',
  default: false,
  identify: () => false,
};

/**
 * Parses YAML text written by PyYAML's full dumper (Isaac Lab's env.yaml and agent.yaml, unitree_rl_lab's
 * deploy.yaml): `!!python/tuple` is read as a list, other Python objects as their underlying mapping
 * or list, names of Python callables and modules as null; each kind of tag is noted once. `expected`
 * says what the top-level mapping should be, for the error when it is not one.
 */
export function parsePythonYaml(text: string, file: string, expected: string): { cfg: Obj; notes: string[] } {
  // Line ends as Windows and old Mac editors leave them (a lone \r at the end of the file is a YAML error).
  const doc = parseDocument(text.replace(/\r\n?/g, '\n'), { customTags: [pythonTuple], logLevel: 'silent' });
  if (doc.errors.length > 0) throw new ImportError(file, `is not valid YAML (${doc.errors[0].message.split('\n')[0]})`);
  const seen = new Set<string>();
  const decoded: NumpyDecoded[] = [];
  // numpy dtypes by anchor: PyYAML writes a dtype once (&id001) and aliases it in later scalars.
  const dtypes = new Map<string, unknown>();
  visit(doc, (_key, node, path) => {
    const tag = (node as { tag?: string } | null)?.tag;
    if (typeof tag !== 'string' || !tag.startsWith(PY) || tag === `${PY}tuple`) return undefined;
    // PyYAML's dump of an OrderedDict (Isaac Lab's init_state.joint_pos built as one) and of a
    // numpy scalar (np.float64(0.25), np.deg2rad(30)) are read as the mapping and number they hold.
    if (tag === `${PY}object/apply:collections.OrderedDict`) return orderedDict(node, () => `${file}: ${yamlKeyPath(path, node)}`);
    if (/^tag:yaml\.org,2002:python\/object\/apply:numpy\.(_?core)\.multiarray\.scalar$/.test(tag)) {
      const d = numpyScalar(node, doc, dtypes, file, yamlKeyPath(path, node));
      decoded.push(d);
      return d.node;
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor && /^tag:yaml\.org,2002:python\/object\/apply:numpy\.dtype$/.test(tag)) dtypes.set(anchor, node);
    seen.add(tag.slice(PY.length).split(':')[0]);
    // A reference to a Python callable or class carries no value axon can use.
    if (tag.startsWith(`${PY}name:`) || tag.startsWith(`${PY}module:`)) return new Scalar(null);
    if (isScalar(node)) return new Scalar(node.value);
    (node as { tag?: string }).tag = undefined; // an object: keep its mapping / list
    return undefined;
  });
  const notes = seen.size > 0 ? [`${file}: Python tags read as plain YAML (${[...seen].map((s) => `!!python/${s}`).join(', ')}): objects as their mapping or list, names of Python callables as null`] : [];
  if (decoded.length > 0) {
    const shown = decoded.slice(0, 6).map((d) => `${d.key} = ${String(d.value)} (${d.dtype})`);
    notes.push(`${file}: numpy scalars read as their values: ${shown.join(', ')}${decoded.length > shown.length ? `, and ${decoded.length - shown.length} more` : ''}`);
  }
  // toJS expands aliases; an alias bomb (anchors nested nine deep, each used nine times) is
  // refused by the yaml package with an error that names no file.
  let cfg: unknown;
  try {
    cfg = doc.toJS();
  } catch (e) {
    const why = String((e as Error)?.message ?? e).split('\n')[0];
    throw new ImportError(
      file,
      `cannot be read as data (${why})`,
      /alias/i.test(why) ? 'YAML whose anchors and aliases (&a, *a) expand to a modest size, as PyYAML dumps a config' : 'YAML as PyYAML dumps a config',
    );
  }
  if (!isObj(cfg)) throw new ImportError(file, 'does not hold a mapping at the top', expected);
  return { cfg, notes };
}

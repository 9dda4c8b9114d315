/**
 * R27 F5: the model folder and the paths in its manifest, as users get them wrong.
 * - A file given for the folder (`--policy DIR/model.onnx`, `inspect DIR/manifest.json`) was named
 *   as a folder missing its manifest (`.../model.onnx/manifest.json: no manifest.json`).
 * - `onnx.file` absolute was joined under the folder ("/etc/passwd ... does not exist in DIR"), and
 *   one leading out of it (`../other/model.onnx`) was accepted: the folder is the model, its ONNX
 *   file lies inside it.
 * - A number past the largest double (`"scale": 1e400`, which JSON.parse makes Infinity) was
 *   reported as `is null`.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelFolder } from '../../../src/model/manifest.ts';
import { manifestErrorOf } from '../../helpers/errors.ts';

const SHIPPED = 'models/cartpole-balance';

/** A copy of the shipped cartpole model whose manifest.json is `edit(text)`. */
function copyWith(edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'axon-mpaths-'));
  copyFileSync(join(SHIPPED, 'model.onnx'), join(dir, 'model.onnx'));
  writeFileSync(join(dir, 'manifest.json'), edit(readFileSync(join(SHIPPED, 'manifest.json'), 'utf8')));
  return dir;
}
const onnxFile = (f: string) => (t: string) => t.replace('"file": "model.onnx"', `"file": ${JSON.stringify(f)}`);

describe('loadModelFolder: a file given for the folder', () => {
  it.each(['model.onnx', 'manifest.json'])('DIR/%s is "a file, not a model folder", with the way to a manifest for a bare .onnx', (name) => {
    const e = manifestErrorOf(() => loadModelFolder(join(SHIPPED, name)));
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.where).toBe(join(SHIPPED, name));
    expect(e.message).toContain('is a file, not a model folder');
    expect(e.message).toContain('axon inspect X.onnx --draft manifest.json');
  });
});

describe('loadModelFolder: onnx.file lies inside the model folder', () => {
  it.each([
    ['/etc/hostname', 'an absolute path'],
    ['../cartpole-balance/model.onnx', 'a path that leads out of the model folder'],
    ['.', 'the model folder itself'],
  ])('"%s" is MANIFEST_FIELD #/onnx/file: %s', (f, says) => {
    const dir = copyWith(onnxFile(f));
    const e = manifestErrorOf(() => loadModelFolder(dir));
    expect(e.code).toBe('MANIFEST_FIELD');
    expect(e.where).toBe(`${join(dir, 'manifest.json')}#/onnx/file`);
    expect(e.message).toContain(`is "${f}", ${says}`);
    expect(e.message).toContain('a path relative to the model folder');
  });

  it('a file in a subfolder, or named ..something, is inside', () => {
    const dir = copyWith(onnxFile('onnx/..policy.onnx'));
    mkdirSync(join(dir, 'onnx'));
    copyFileSync(join(dir, 'model.onnx'), join(dir, 'onnx', '..policy.onnx'));
    expect(loadModelFolder(dir).onnxPath).toBe(join(dir, 'onnx', '..policy.onnx'));
  });
});

describe('a number past the largest double in a manifest', () => {
  it('"scale": 1e400 is named as Infinity, not null', () => {
    const dir = copyWith((t) => t.replace('"scale": 20', '"scale": 1e400'));
    const e = manifestErrorOf(() => loadModelFolder(dir));
    expect(e.where).toMatch(/#\/action\/scale$/);
    expect(e.message).toContain('is Infinity (a number past the largest double');
    expect(e.message).not.toContain('null');
  });
});

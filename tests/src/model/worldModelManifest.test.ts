/**
 * worldModelManifest.ts loads on its own, before manifest.ts: the two import each other (the schema
 * one way, types the other), and a value import back from manifest.ts made whichever loaded second
 * read the other's half-initialised exports ("Cannot access 'WorldModelSchema' before
 * initialization"). The imports below are in that order on purpose.
 */
import { describe, expect, it } from 'vitest';
import { worldModelStateNames } from '../../../src/model/worldModelManifest.ts';
import { loadModelFolder } from '../../../src/model/manifest.ts';

describe('worldModelManifest.ts imported first', () => {
  it('loads, and a shipped world model folder validates through manifest.ts', () => {
    const m = loadModelFolder('models/cartpole-wm').manifest;
    expect(worldModelStateNames(m)).toEqual(['joint_pos.slider', 'joint_pos.hinge', 'joint_vel.slider', 'joint_vel.hinge']);
  });
});

// Types of page/frames.js (the page's decoders), for the tests that check them against frames.ts.
import type { RolloutFrame, StateFrame } from '../frames.ts';
export declare const SAFETY: string[];
export declare const ROLLOUT_MODES: string[];
export declare function decodeStateFrame(buf: ArrayBuffer): StateFrame;
export declare function decodeRolloutFrame(buf: ArrayBuffer): RolloutFrame;
export declare function frameKind(buf: ArrayBuffer): number;

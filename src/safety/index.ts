/**
 * Safety: the supervisor every joint command passes through, its states and events.
 * A software stop is a protective stop (IEC 60204-1), not the category-0 emergency stop, which
 * must not depend on software.
 */
export * from './types.ts';
export { SafetySupervisor } from './SafetySupervisor.ts';
export { simGainBounds } from './gainBounds.ts';
export type { ResolvedSafetyConfig } from './safetyConfig.ts';

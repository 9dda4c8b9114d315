export * from './types.ts';
export * from './SimClock.ts';
export * from './WallClock.ts';
export * from './sleep.ts';

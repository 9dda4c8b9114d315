export * from './errors.ts';
export * from './robot.ts';
export * from './task.ts';
export * from './printable.ts';

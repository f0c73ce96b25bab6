export * from './brand.ts';
export * from './assert.ts';
export * from './errors.ts';
export * from './rng.ts';
export * from './state-machine.ts';
export * from './storage-health.ts';
export * from './format.ts';

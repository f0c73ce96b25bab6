/**
 * The engine's testing face, for tests, examples and the simulator (src/sim): an in-memory
 * KvView, a harness that drives an engine like the replica would, and the state invariants.
 */
export { MemoryKv } from './memory-kv.ts';
export { EngineHarness, type CommandInput } from './harness.ts';
export { checkEngineInvariants } from './invariants.ts';

/** The simulator's one door into the core: everything comes through src/raft/index.ts. */
export * from '../raft/index.ts';

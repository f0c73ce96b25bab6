/**
 * V8 flags a Baton server runs with. They cannot be set from inside a running process (V8 sizes
 * its heap when it starts), so every way of starting a server passes them: the shebang of
 * `bin/baton.js` (kept in sync by a test), the local cluster launcher, and — for a node started
 * with `node` directly — `NODE_OPTIONS` (see the README).
 *
 * A 64 MiB semi-space (V8's default is 16 MiB): a leader under load allocates fast (HTTP/2 frames,
 * gRPC calls, entries), and with the default young generation it ran a scavenge every few
 * milliseconds, copying each time whatever was in flight at that moment. Measured in paired runs
 * (two clusters alternating every few seconds): +5 % writes/s at concurrency 64, +10 % at 256,
 * p99 −12 % at 256, no change at 1; the leader's resident memory grows by ~70 MiB under load
 * (followers allocate little and do not grow). The space grows only when allocation demands it.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

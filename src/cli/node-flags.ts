/**
 * V8 flags a Baton server runs with. They cannot be set from inside a running process (V8 sizes
 * its heap when it starts), so every way of starting a server passes them: the shebang of
 * `bin/baton.js` (kept in sync by a test), the local cluster launcher, and — for a node started
 * with `node` directly — `NODE_OPTIONS` (see the README).
 *
 * An 8 MiB semi-space (V8's default is 16 MiB). The objects of every unary gRPC call served
 * since the last scavenge (HTTP/2 stream, grpc-js call: 6–10 KB a call) survive it and are
 * promoted at the next, then die at a full collection: Node keeps a closed HTTP/2 stream's JS
 * object until a full collection, and its event listeners keep the grpc-js call alive with it
 * (cluster/bench/PERFORMANCE.md); a bare grpc-js echo server does the same (`--trace-gc-nvp`:
 * 6–9 MB survive each scavenge, 98 % of it promoted). So a scavenge's pause grows with the young generation while the
 * total copied stays the same: smaller means shorter pauses, and a leader's pauses are its p99.
 * Measured in paired runs (two clusters alternating 2–3 s slices, each assignment run both ways
 * to cancel a 4–11 % edge of the cluster started second): against
 * 16 MiB, p99 −12 % at concurrency 16 and −7 % at 64, throughput +7 % at 16 and unchanged at 1,
 * 64 and 256; against 64 MiB (used before, picked with that edge uncorrected), 16 MiB alone had
 * p99 −5 to −20 % at every level and the same throughput.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

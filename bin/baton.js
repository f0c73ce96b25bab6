#!/usr/bin/env -S node --max-semi-space-size=8
// Runs the TypeScript CLI directly through tsx, so `npx baton` works after `npm ci` with no build.
// The V8 flags in the line above are the server's (src/cli/node-flags.ts says why; a test keeps
// them equal).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/index.ts');

#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx baton` works after `npm ci` with no build.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/index.ts');

#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// Hold the young generation at its initial size while the modules load; `start` lets it grow
// again once it listens (see src/lib/young-generation.ts for why).
setFlagsFromString('--semi-space-growth-factor=1');
await import('../dist/cli/main.js');

#!/usr/bin/env node
// The bertft command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
// entry.js starts predict and embed without loading the other commands' code (src/cli/entry.ts).
import { run } from '../dist/cli/entry.js';

run(process.argv);

#!/usr/bin/env node
// The `sidecar-lab` command: runs the TypeScript lab core with no build step (bundled on demand and cached, see cli-bundle.mjs).
import { loadCli } from './cli-bundle.mjs';

const { main } = await loadCli();
process.exitCode = await main(process.argv.slice(2));

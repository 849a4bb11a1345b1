#!/usr/bin/env node
// The `mlops` executable: runs the compiled CLI (built by `npm ci` / `npm run build`).
import { main } from '../dist/index.js';

const io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
};
process.exitCode = await main(process.argv.slice(2), io);

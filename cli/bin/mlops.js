#!/usr/bin/env node
// The `mlops` executable: runs the compiled CLI (built by `npm ci` / `npm run build`).
import { nodeTooOld } from './node-check.js';

const tooOld = nodeTooOld(process.version, process.execPath);
if (tooOld !== undefined) {
  process.stderr.write(`${tooOld}\n`);
  process.exit(1);
}
const { main } = await import('../dist/index.js');

// A reader that went away (`mlops up | head`, a pipe's end closed by Ctrl-C) must not crash the command mid-stop.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

const io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
  stderrIsTTY: process.stderr.isTTY === true,
};
const code = await main(process.argv.slice(2), io);
// Exit as soon as the command is done: a NATS connection attempt left to a server that accepted and never answered
// (or any other straggler) must not keep the process alive. Written output is flushed first.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));

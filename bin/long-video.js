#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` (done by the README's commands) produces lib/.
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'lib', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  console.error('long-video: lib/ is missing; run `npm run build` in ' + path.join(__dirname, '..'));
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => {
    if (code !== 0) process.exit(code);
  });

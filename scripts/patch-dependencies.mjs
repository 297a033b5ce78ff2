// Applied after every install (package.json "postinstall"): small, checked patches to
// dependencies for bugs whose upstream fixes are not released yet. Each patch names
// the exact source it expects and fails the install loudly if it does not find it.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// postgres exports no package.json: its CommonJS entry is <root>/cjs/src/index.js.
const postgresRoot = join(dirname(require.resolve('postgres')), '../..');
const nextWriteFix = {
  find: '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
  replace:
    '  function nextWrite(fn) {\n    if (!socket) { nextWriteTimer !== null && clearImmediate(nextWriteTimer); chunk = nextWriteTimer = null; return false } // herald: socket already closed\n    const x = socket.write(chunk, fn)',
};

// postgres.js 3.4.x: a write scheduled with setImmediate after the socket closed throws
// "Cannot read properties of null (reading 'write')" outside any promise, which kills the
// process when PostgreSQL goes away mid-transaction (upstream issues #1154, #1066, #1208).
// test/chaos-postgres-restart.test.ts reproduces it. Both the ESM and the CommonJS build.
const patches = ['src/connection.js', 'cjs/src/connection.js'].map((file) => ({ file: join(postgresRoot, file), ...nextWriteFix }));

for (const patch of patches) {
  const source = readFileSync(patch.file, 'utf8');
  if (source.includes(patch.replace)) continue;
  if (!source.includes(patch.find)) {
    console.error(`patch-dependencies: expected source not found in ${patch.file}; review the patch for this version`);
    process.exit(1);
  }
  writeFileSync(patch.file, source.replace(patch.find, patch.replace));
  console.log(`patch-dependencies: patched ${patch.file}`);
}

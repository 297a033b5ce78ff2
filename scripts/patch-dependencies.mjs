// Applied after every install (package.json "postinstall"): small, checked patches to
// dependencies for bugs whose upstream fixes are not released yet. Each patch names
// the exact source it expects and fails the install loudly if it does not find it.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// postgres exports no package.json: its CommonJS entry is <root>/cjs/src/index.js.
const postgresRoot = join(dirname(require.resolve('postgres')), '../..');

const postgresFixes = [
  // postgres.js 3.4.x: a write scheduled with setImmediate after the socket closed throws
  // "Cannot read properties of null (reading 'write')" outside any promise, which kills the
  // process when PostgreSQL goes away mid-transaction (upstream issues #1154, #1066, #1208).
  {
    find: '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
    replace:
      '  function nextWrite(fn) {\n    if (!socket) { nextWriteTimer !== null && clearImmediate(nextWriteTimer); chunk = nextWriteTimer = null; return false } // herald: socket already closed\n    const x = socket.write(chunk, fn)',
  },
  // postgres.js 3.4.x: when the server ends a connection while a query is in flight (a
  // restart's 57P01), the connection keeps that query and its ErrorResponse after the socket
  // closes. The reconnect's first ReadyForQuery then replays the old error onto the next
  // query, before that query is even sent: one failed request per such connection after
  // every database restart (upstream issue #1223). The closed connection forgets both; a
  // startup query killed mid-flight (the array-type fetch) is dropped, not rejected, as
  // nothing awaits its rejection and the reconnect fetches the types again.
  {
    find: "    if (initial)\n      return reconnect()\n\n    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n",
    replace:
      "    if (initial)\n      return (query = results = errorResponse = null, reconnect()) // herald: no stale error after a reconnect\n\n    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n    query = results = errorResponse = null // herald: no stale error after a reconnect\n",
  },
];

// bullmq's CommonJS entry is <root>/dist/cjs/index.js.
const bullmqRoot = join(dirname(require.resolve('bullmq')), '../..');

const bullmqFixes = [
  // bullmq 6.x: the worker's main loop fetches jobs one after another until it holds
  // `concurrency` of them or the queue is empty, and starts none of them before that. A fetch
  // on Redis takes a fraction of a millisecond, so nobody notices; on the PostgreSQL backend a
  // fetch is a transaction (30 to 100 ms on two busy cores), and while jobs keep arriving the
  // loop went on fetching: with 50 fan-out slots, fan-outs fetched 2 s earlier had not started
  // (test/receiver-mix.test.ts, PostgreSQL backend). A fetched job now starts at once; fetches
  // stay one at a time. And the loop fetches no more while jobs it already holds wait to start
  // (the next jobs that finishing jobs fetched), so those do not wait a fetch each either.
  {
    find: '            while (!this.closing &&\n                !this.paused &&\n                !this.waiting &&\n                asyncFifoQueue.numTotal() < this._concurrency &&',
    replace:
      '            while (!this.closing &&\n                !this.paused &&\n                !this.waiting &&\n                asyncFifoQueue.numQueued() === 0 && // herald: start what is held before fetching more\n                asyncFifoQueue.numTotal() < this._concurrency &&',
  },
  {
    find: '                if (this.blockUntil) {\n                    break;\n                }\n            }',
    replace:
      '                if (job || this.blockUntil) { // herald: start a fetched job at once\n                    break;\n                }\n            }',
  },
];

/** Every fix, in each of a package's builds (ESM and CommonJS). */
const inBuilds = (root, files, fixes) => files.flatMap((file) => fixes.map((fix) => ({ file: join(root, file), ...fix })));

// test/chaos-postgres-restart.test.ts reproduces both postgres.js bugs; packages/queue/test/runtime.test.ts the bullmq one.
const patches = [
  ...inBuilds(postgresRoot, ['src/connection.js', 'cjs/src/connection.js'], postgresFixes),
  ...inBuilds(bullmqRoot, ['dist/cjs/classes/worker.js', 'dist/esm/classes/worker.js'], bullmqFixes),
];

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

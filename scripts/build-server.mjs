// Compiles Herald's server entry points to JavaScript (`npm run build`; `npm start` runs it
// first). esbuild bundles Herald's own workspaces (@herald/*, TypeScript sources) into one file
// per entry and leaves every other package to node_modules, so the image runs plain `node`
// without tsx or TypeScript at run time.
import { build } from 'esbuild';

const ENTRIES = {
  start: 'scripts/start.ts',
  api: 'apps/api/src/main.ts',
  worker: 'apps/worker/src/main.ts',
  migrate: 'packages/db/src/migrate-cli.ts',
};

const only = process.argv.slice(2);
const entryPoints = Object.entries(ENTRIES)
  .filter(([name]) => only.length === 0 || only.includes(name))
  .map(([out, input]) => ({ out, in: input }));
if (entryPoints.length === 0) {
  console.error(`build-server: unknown entry ${only.join(', ')}; known: ${Object.keys(ENTRIES).join(', ')}`);
  process.exit(1);
}

/** A bare import that is not one of ours stays an import, resolved from node_modules at run time. */
const thirdPartyExternal = {
  name: 'third-party-external',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@herald/') ? undefined : { path: args.path, external: true }));
  },
};

await build({
  entryPoints,
  outdir: 'dist/server',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Stack traces point at the TypeScript sources.
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [thirdPartyExternal],
});

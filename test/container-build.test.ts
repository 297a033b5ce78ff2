import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { CONFIG_VARIABLES } from '@herald/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildContext, parseDockerfile, type Stage, stageFiles } from './support/dockerfile';
import { startTestHerald } from './support/harness';
import { baseEnv, ROOT, watch } from './support/herald-process';

/**
 * The image, checked on a machine without a Docker engine (docs/operations.md,
 * "Container image"): the build context as `docker build .` would send it, each
 * stage's files as its COPY lines leave them, turbo prune run for real on that
 * context, the compiled server run from the runtime stage's layout, and
 * docker-compose.yml read as Compose reads it.
 */

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const listFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => statSync(join(dir, path)).isFile());

interface Manifest {
  name: string;
  workspaces?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** Every workspace by name, with its directory. */
function workspaces(): Map<string, { dir: string; manifest: Manifest }> {
  const root = JSON.parse(read('package.json')) as Manifest;
  const found = new Map<string, { dir: string; manifest: Manifest }>();
  for (const glob of root.workspaces ?? []) {
    const parent = glob.replace(/\/\*$/, '');
    for (const entry of readdirSync(join(ROOT, parent))) {
      const file = join(ROOT, parent, entry, 'package.json');
      try {
        const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
        found.set(manifest.name, { dir: `${parent}/${entry}`, manifest });
      } catch {
        // not a package directory
      }
    }
  }
  return found;
}

/** The workspaces `names` need, following dependencies between workspaces. */
function closure(names: string[]): Set<string> {
  const all = workspaces();
  const needed = new Set<string>();
  const visit = (name: string) => {
    if (needed.has(name) || !all.has(name)) return;
    needed.add(name);
    const { manifest } = all.get(name)!;
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })) visit(dep);
  };
  for (const name of names) visit(name);
  return needed;
}

/** Files a lifecycle script runs with node (`node scripts/x.mjs`), relative to the package. */
const scriptFiles = (script: string | undefined) =>
  [...(script ?? '').matchAll(/\bnode\s+(?:--\S+\s+)*([\w./-]+\.[cm]?js)\b/g)].map((m) => m[1]!);

const IMAGE_APPS = ['@herald/api', '@herald/worker', '@herald/dashboard'];

/** What a Dockerfile's manifest stage must hold for `npm ci` to install and link every needed workspace. */
function manifestProblems(stages: Stage[], context: string[], pruneOutput: string[]): string[] {
  const files = stageFiles(stages, 'manifests', context, { '/prune': pruneOutput });
  const problems: string[] = [];
  const all = workspaces();
  for (const name of closure(IMAGE_APPS)) {
    const manifest = `${all.get(name)!.dir}/package.json`;
    if (!files.has(manifest)) problems.push(`npm ci would not see workspace ${name} (${manifest})`);
  }
  for (const required of ['package.json', 'package-lock.json']) if (!files.has(required)) problems.push(`missing ${required}`);
  // npm ci runs install scripts of the root and of every workspace: the files they run must be there.
  const root = JSON.parse(read('package.json')) as Manifest;
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
    for (const file of scriptFiles(root.scripts?.[hook]))
      if (!files.has(file)) problems.push(`root ${hook} runs ${file}, not copied before npm ci`);
    for (const [name, { dir, manifest }] of all) {
      if (!closure(IMAGE_APPS).has(name)) continue;
      for (const file of scriptFiles(manifest.scripts?.[hook])) {
        if (!files.has(`${dir}/${file}`)) problems.push(`${name} ${hook} runs ${file}, not copied before npm ci`);
      }
    }
  }
  return problems;
}

describe('container image (Dockerfile)', () => {
  const stages = parseDockerfile(read('Dockerfile'));
  const context = buildContext(ROOT);
  let pruneDir: string;
  let pruneOutput: string[];

  beforeAll(() => {
    // turbo prune, run as the prune stage runs it: on the build context alone, not on this checkout.
    const contextDir = mkdtempSync(join(tmpdir(), 'herald-context-'));
    for (const path of context) {
      mkdirSync(dirname(join(contextDir, path)), { recursive: true });
      cpSync(join(ROOT, path), join(contextDir, path));
    }
    pruneDir = mkdtempSync(join(tmpdir(), 'herald-prune-'));
    const runStep = stages.find((s) => s.name === 'prune')?.instructions.find((i) => i.keyword === 'RUN' && /turbo/.test(i.raw));
    expect(runStep, 'the prune stage runs turbo prune').toBeDefined();
    const targets = runStep!.raw.match(/@herald\/[\w-]+/g) ?? [];
    execFileSync(join(ROOT, 'node_modules/.bin/turbo'), ['prune', ...targets, '--docker', '--out-dir', pruneDir], {
      cwd: contextDir,
      stdio: 'pipe',
    });
    rmSync(contextDir, { recursive: true, force: true });
    pruneOutput = listFiles(pruneDir);
  });
  afterAll(() => rmSync(pruneDir, { recursive: true, force: true }));

  it('the build context holds every COPY source, and the manifest stage every workspace npm ci must link', () => {
    expect(manifestProblems(stages, context, pruneOutput)).toEqual([]);
    // Every stage's COPY lines resolve (stageFiles throws on a source the context or stage lacks).
    const built = ['dist/server/api.js', 'dist/server/worker.js', 'dist/server/start.js', 'dist/server/migrate.js'];
    const runtime = stageFiles(stages, 'runtime', context, {
      '/prune': pruneOutput,
      'build:dist/server': built.map((path) => relative('dist/server', path)),
      'build:apps/dashboard/dist': ['index.html'],
    });
    expect(runtime.has('drizzle/meta/_journal.json'), 'migrations beside dist/').toBe(true);
    expect(runtime.has('apps/dashboard/dist/index.html')).toBe(true);
  });

  it('fails a Dockerfile that lists manifests by hand and forgets one (the one the issue found)', () => {
    const handWritten = parseDockerfile(`
FROM node:20 AS base
WORKDIR /app
FROM base AS manifests
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/dashboard/package.json apps/dashboard/
COPY apps/worker/package.json apps/worker/
COPY packages/core/package.json packages/core/
COPY packages/db/package.json packages/db/
COPY packages/queue/package.json packages/queue/
COPY packages/runtime/package.json packages/runtime/
`);
    const problems = manifestProblems(handWritten, context, pruneOutput);
    expect(problems).toContain('npm ci would not see workspace @herald/services (packages/services/package.json)');
    expect(problems).toContain('npm ci would not see workspace @herald/delivery (packages/delivery/package.json)');
    expect(problems).toContain('root postinstall runs scripts/patch-dependencies.mjs, not copied before npm ci');
  });

  it('the pruned lockfile and manifests are turbo prune output, not a list kept by hand', () => {
    expect(pruneOutput).toContain(join('json', 'package-lock.json'));
    const stage = stages.find((s) => s.name === 'manifests')!;
    const workspaceCopies = stage.instructions.filter((i) => i.keyword === 'COPY' && /(apps|packages)\//.test(i.raw));
    expect(workspaceCopies, 'no workspace manifest copied by name').toEqual([]);
  });

  it('the compiled bundles import only production dependencies of the workspaces the image installs', () => {
    execFileSync('node', [join(ROOT, 'scripts/build-server.mjs'), 'api', 'worker'], { cwd: ROOT, stdio: 'pipe' });
    const all = workspaces();
    const installed = new Set<string>();
    for (const name of closure(['@herald/api', '@herald/worker'])) {
      for (const dep of Object.keys(all.get(name)!.manifest.dependencies ?? {})) installed.add(dep);
    }
    for (const bundle of ['dist/server/api.js', 'dist/server/worker.js']) {
      const text = read(bundle);
      // Static imports start a line in esbuild's output (also when they span lines); dynamic ones are import("…").
      const specifiers = [...text.matchAll(/^(?:import|export)\b[^;"]*?(?:\bfrom\s*)?"([^"]+)";$|\bimport\("([^"]+)"\)/gm)]
        .map((m) => (m[1] ?? m[2])!)
        .filter((s) => !s.startsWith('.'));
      const packages = new Set(
        specifiers
          .filter((s) => !s.startsWith('node:'))
          .map((s) =>
            s
              .split('/')
              .slice(0, s.startsWith('@') ? 2 : 1)
              .join('/'),
          ),
      );
      expect(packages.size).toBeGreaterThan(5);
      // --omit=dev: a package reached only through a root devDependency would be missing in the image.
      expect(
        [...packages].filter((name) => !installed.has(name) && !isBuiltin(name)),
        bundle,
      ).toEqual([]);
    }
  });

  it("runs the runtime stage's command: the compiled API from the image's layout, without tsx or TypeScript", async () => {
    const runtime = stages.find((s) => s.name === 'runtime')!;
    const cmd = runtime.instructions.find((i) => i.keyword === 'CMD')!.args;
    expect(cmd[0]).toBe('node');
    const entry = cmd.at(-1)!;
    expect(entry).toBe('dist/server/api.js');

    // /app as the runtime stage lays it out: compiled bundles, migrations, dependencies.
    const app = mkdtempSync(join(tmpdir(), 'herald-image-'));
    try {
      execFileSync('node', [join(ROOT, 'scripts/build-server.mjs')], { cwd: ROOT, stdio: 'pipe' });
      cpSync(join(ROOT, 'dist/server'), join(app, 'dist/server'), { recursive: true });
      cpSync(join(ROOT, 'drizzle'), join(app, 'drizzle'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
      symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
      const herald = await startTestHerald();
      try {
        const api = watch('node', cmd.slice(1), {
          env: baseEnv({ ...herald.workerEnv, PORT: '0', HERALD_ADMIN_TOKEN: herald.rootToken }),
          cwd: app,
        });
        const started = await api.waitFor(/"msg":"api listening"/, 60_000);
        const url = /"url":"(http:[^"]+)"/.exec(started)![1]!;
        const health = await fetch(`${url}/api/v1/health`);
        expect(health.status).toBe(200);
        api.child.kill('SIGTERM');
        expect((await api.exited()).code, api.output()).toBe(0);
        // The bundle holds Herald's own code; tsx is nowhere in the process.
        expect(api.output()).not.toMatch(/tsx/);
      } finally {
        await herald.close();
      }
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, Record<string, unknown>>;
    volumes?: Record<string, unknown>;
  };
  const services = compose.services;
  const buildEntries = (readFileSync(join(ROOT, 'scripts/build-server.mjs'), 'utf8').match(/^\s+(\w+): '[^']+\.ts',$/gm) ?? []).map(
    (line) => `dist/server/${line.trim().split(':')[0]}.js`,
  );

  it('every service has an image or a build, and a build points at the Dockerfile', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'kafka', 'postgres', 'redis', 'worker']);
    for (const [name, service] of Object.entries(services)) {
      expect(service.image ?? service.build, `${name}: image or build`).toBeDefined();
      if (service.build !== undefined) expect(service.build).toBe('.');
    }
    // The worker runs the image the api service builds.
    expect(services.worker!.image).toBe(services.api!.image);
  });

  it('dependencies, volumes and health checks refer to things that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of Object.keys((service.depends_on as Record<string, unknown>) ?? {})) {
        expect(services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
        expect(
          (services[dependency]!.healthcheck as object | undefined) ?? null,
          `${dependency} has a health check to wait for`,
        ).not.toBeNull();
      }
      for (const volume of (service.volumes as string[] | undefined) ?? []) {
        const named = volume.split(':')[0]!;
        if (!named.startsWith('.') && !named.startsWith('/')) expect(compose.volumes, `volume ${named}`).toHaveProperty(named);
      }
      const check = service.healthcheck as { test: string[] } | undefined;
      if (check) expect(['CMD', 'CMD-SHELL']).toContain(check.test[0]);
    }
  });

  it("Herald's services set only variables Herald reads, and run commands the image has", () => {
    for (const name of ['api', 'worker']) {
      const environment = services[name]!.environment as Record<string, unknown>;
      for (const variable of Object.keys(environment)) expect(CONFIG_VARIABLES, `${name}: ${variable}`).toContain(variable);
      const command =
        (services[name]!.command as string[] | undefined) ??
        parseDockerfile(read('Dockerfile'))
          .at(-1)!
          .instructions.find((i) => i.keyword === 'CMD')!.args;
      expect(command[0], `${name} runs node directly (signals reach Herald)`).toBe('node');
      expect(buildEntries, `${name}: ${command.at(-1)} is built by scripts/build-server.mjs`).toContain(command.at(-1));
    }
  });
});

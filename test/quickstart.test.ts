import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_ADMIN_EMAIL } from '@herald/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHerald, startTestWorker, type TestHerald } from './support/harness';

/**
 * The README's quickstart, run as written: the blocks after a `<!-- quickstart -->`
 * marker are executed in order (shell blocks with bash, the receiver with node)
 * against a started Herald and worker. Only the receiver's port is changed (to
 * a free one); everything else is the README's text, so it cannot drift.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Block {
  kind: 'sh' | 'js';
  file?: string;
  code: string;
}

function quickstartBlocks(readme: string): Block[] {
  const blocks: Block[] = [];
  const marker = /<!-- quickstart(?::\s*(\S+))? -->\n```(sh|js)\n([\s\S]*?)```/g;
  for (const match of readme.matchAll(marker)) {
    blocks.push({ kind: match[2] as 'sh' | 'js', file: match[1], code: match[3]! });
  }
  return blocks;
}

function run(command: string, args: string[], env: Record<string, string>, cwd = ROOT): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe('the README quickstart', () => {
  let herald: TestHerald;
  let worker: { close(): Promise<void> };
  let receiver: ChildProcess | undefined;
  let dir: string;
  let readme: string;

  beforeAll(async () => {
    readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    herald = await startTestHerald();
    worker = startTestWorker(herald);
    // Inside the repository, so the receiver resolves `standardwebhooks` as an installed package.
    await mkdir(join(ROOT, 'node_modules/.cache'), { recursive: true });
    dir = await mkdtemp(join(ROOT, 'node_modules/.cache/quickstart-'));
  });
  afterAll(async () => {
    receiver?.kill();
    await worker?.close();
    await herald?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('names the banner lines start prints: the root key and the dashboard login', async () => {
    const start = await readFile(join(ROOT, 'scripts/start.ts'), 'utf8');
    for (const line of ['Root API key (shown once, store it now): ', 'Dashboard login: ']) {
      expect(readme).toContain(line.trim());
      expect(start).toContain(line);
    }
    // The default admin's email is the one the README names.
    expect(readme).toContain(`Dashboard login: ${GENERATED_ADMIN_EMAIL} / `);
  });

  it('ends in a webhook the ten-line receiver verifies with standardwebhooks', async () => {
    const blocks = quickstartBlocks(readme);
    expect(blocks.map((b) => b.file ?? b.kind)).toEqual(['sh', 'sh', 'receiver.mjs', 'sh']);
    const port = await freePort();
    const local = (code: string) => code.replaceAll('127.0.0.1:3000', `127.0.0.1:${port}`);
    const env: Record<string, string> = { HERALD_URL: herald.url, HERALD_KEY: herald.rootToken };

    // Steps 2 and 3, in one shell so step 3's export is there to read back.
    const setup = blocks.slice(0, 2).map((b) => local(b.code));
    const shell = await run(
      'bash',
      ['-euo', 'pipefail', '-c', `${setup.join('\n')}\nprintf '\\nWEBHOOK_SECRET=%s\\n' "$WEBHOOK_SECRET"`],
      env,
    );
    expect(shell.code, shell.out).toBe(0);
    expect(shell.out).toContain('"uid":"acme"');
    expect(shell.out).toContain('"uid":"acme-receiver"');
    const secret = /WEBHOOK_SECRET=(whsec_\S+)/.exec(shell.out)?.[1];
    expect(secret, shell.out).toBeDefined();

    // Step 4: the receiver, as written.
    const file = join(dir, blocks[2]!.file!);
    await writeFile(file, blocks[2]!.code);
    let printed = '';
    receiver = spawn('node', [file], { cwd: dir, env: { ...process.env, WEBHOOK_SECRET: secret!, PORT: String(port) } });
    receiver.stdout?.on('data', (chunk) => (printed += chunk));
    receiver.stderr?.on('data', (chunk) => (printed += chunk));
    await expect
      .poll(async () =>
        fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).then(
          (r) => r.status,
          () => 0,
        ),
      )
      .toBe(400);

    // Step 5: publish; the receiver prints what it verified.
    const publish = await run('bash', ['-euo', 'pipefail', '-c', local(blocks[3]!.code)], env);
    expect(publish.code, publish.out).toBe(0);
    expect(publish.out).toMatch(/"id":"msg_/);
    await expect.poll(() => printed, { timeout: 20_000 }).toContain('verified {"invoiceId":"inv_1042","amount":4200}');
    // The unsigned probe above was refused: verification is real.
    expect(printed).toMatch(/^rejected /m);
  });
});

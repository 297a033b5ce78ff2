import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, type TestHerald } from '../../../test/support/harness';

/**
 * The contract suite: schemathesis (PyPI; `.ci/run` installs it) generates
 * requests from /api/v1/openapi.json, valid and invalid, and checks every answer
 * against the document: no 5xx, only documented statuses, bodies and content
 * types as declared, invalid input refused, TRACE and other undeclared methods
 * answered 405. Bounded: 15 examples per operation, a fixed seed, and the
 * process killed after three minutes (about 60–90 s on two busy cores).
 */
const SCHEMATHESIS = process.env.HERALD_SCHEMATHESIS ?? 'schemathesis';
const MAX_EXAMPLES = process.env.HERALD_CONTRACT_EXAMPLES ?? '15';
const TIME_BUDGET_S = 120;

let herald: TestHerald;
let reportDir: string;

beforeAll(async () => {
  herald = await startTestHerald();
  reportDir = await mkdtemp(join(tmpdir(), 'herald-contract-'));
  // Something to find: the generated ids mostly miss, but `demo` resolves as an application uid.
  await call(herald.url, 'POST', '/api/v1/app', { token: herald.rootToken, json: { name: 'Contract', uid: 'demo' } });
});
afterAll(async () => {
  await herald?.close();
  if (reportDir) await rm(reportDir, { recursive: true, force: true });
});

function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: reportDir, env: { ...process.env, NO_COLOR: '1', PYTHONIOENCODING: 'utf-8' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) =>
      reject(new Error(`cannot run ${command} (${error.message}); install it with: pip install schemathesis==4.32.5`)),
    );
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the OpenAPI document holds against schemathesis', () => {
  it(
    'answers no 5xx, no undocumented status and no schema violation to generated requests',
    async () => {
      const junit = join(reportDir, 'junit.xml');
      const { code, output } = await run(
        SCHEMATHESIS,
        [
          'run',
          `${herald.url}/api/v1/openapi.json`,
          '--header',
          `Authorization: Bearer ${herald.rootToken}`,
          '--checks',
          [
            'not_a_server_error',
            'status_code_conformance',
            'content_type_conformance',
            'response_schema_conformance',
            'negative_data_rejection',
            'unsupported_method',
          ].join(','),
          '--phases',
          'examples,coverage,fuzzing',
          '--max-examples',
          MAX_EXAMPLES,
          '--seed',
          '12',
          '--workers',
          '2',
          '--output-truncate',
          'true',
          '--request-timeout',
          '10',
          '--suppress-health-check',
          'all',
          '--warnings',
          'off',
          '--report',
          'junit',
          '--report-junit-path',
          junit,
        ],
        (TIME_BUDGET_S + 60) * 1000,
      );
      const report = await readFile(junit, 'utf8').catch(() => '');
      expect(report, output).toMatch(/<testsuite/);
      expect(code, output).toBe(0);
    },
    (TIME_BUDGET_S + 90) * 1000,
  );
});

import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../src';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('runs on its embedded defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.queueBackend).toBe('postgres');
    expect(config.dataDir).toMatch(/\.herald$/);
    expect(config.maxBodyBytes).toBe(1024 * 1024);
  });

  it('chooses the redis backend when REDIS_URL is set, unless told otherwise', () => {
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).queueBackend).toBe('redis');
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', HERALD_QUEUE_BACKEND: 'postgres' }).queueBackend).toBe('postgres');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).databaseUrl).toBeUndefined();
  });

  // `FOO=` in an env file or a compose `environment:` entry means "the default", for every variable.
  it.each(CONFIG_VARIABLES)('reads %s empty or blank as unset', (variable) => {
    const defaults = loadConfig({});
    expect(loadConfig({ [variable]: '' })).toEqual(defaults);
    expect(loadConfig({ [variable]: '  ' })).toEqual(defaults);
  });

  it('knows the variables the issue found reading empty as a value', () => {
    expect(CONFIG_VARIABLES).toEqual(
      expect.arrayContaining([
        'PORT',
        'HERALD_MAX_BODY_BYTES',
        'HERALD_DELIVERY_TIMEOUT_MS',
        'HERALD_ENDPOINT_DISABLE_AFTER_S',
        'HERALD_WORKER_CONCURRENCY',
      ]),
    );
    expect(loadConfig({ PORT: '' }).port).toBe(8080);
  });

  it.each([
    [{ HERALD_WORKER_CONCURRENCY: '0' }, 'HERALD_WORKER_CONCURRENCY: must be at least 1'],
    [{ HERALD_WORKER_CONCURRENCY: '20001' }, 'HERALD_WORKER_CONCURRENCY: must be at most 20000'],
    [{ HERALD_WORKER_CONCURRENCY: 'lots' }, 'HERALD_WORKER_CONCURRENCY: must be a number'],
    [{ HERALD_WORKER_CONCURRENCY: '1.5' }, 'HERALD_WORKER_CONCURRENCY: must be a number'],
    [{ PORT: '70000' }, 'PORT: must be at most 65535'],
    [{ PORT: 'eighty' }, 'PORT: must be a port number'],
    [{ HERALD_MAX_BODY_BYTES: '10' }, 'HERALD_MAX_BODY_BYTES: must be at least 1024'],
    [{ HERALD_DELIVERY_TIMEOUT_MS: 'soon' }, 'HERALD_DELIVERY_TIMEOUT_MS: must be milliseconds'],
    [{ HERALD_ENDPOINT_DISABLE_AFTER_S: '0' }, 'HERALD_ENDPOINT_DISABLE_AFTER_S: must be at least 1'],
    [{ HERALD_METRICS_PORT: 'nine' }, 'HERALD_METRICS_PORT: must be a port number'],
  ])('says what is wrong with %o', (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });

  it('parses the Kafka broker list', () => {
    expect(loadConfig({ KAFKA_BROKERS: 'a:9092, b.example:9093' }).kafkaBrokers).toEqual(['a:9092', 'b.example:9093']);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ KAFKA_BROKERS: 'no-port' }, 'KAFKA_BROKERS'],
    [{ HERALD_ADMIN_TOKEN: 'short' }, 'HERALD_ADMIN_TOKEN'],
    [{ HERALD_QUEUE_BACKEND: 'rabbit' }, 'HERALD_QUEUE_BACKEND'],
    [{ HERALD_QUEUE_BACKEND: 'redis' }, 'HERALD_QUEUE_BACKEND'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ HERALD_RETRY_SCHEDULE: '5,soon' }, 'HERALD_RETRY_SCHEDULE'],
    [{ HERALD_OUTBOUND_ALLOWLIST: '10.0.0.0/33' }, 'HERALD_OUTBOUND_ALLOWLIST'],
    [{ HERALD_OUTBOUND_ALLOWLIST: 'localhost' }, 'HERALD_OUTBOUND_ALLOWLIST'],
    [{ HERALD_DELIVERY_TIMEOUT_MS: '5' }, 'HERALD_DELIVERY_TIMEOUT_MS'],
    [{ HERALD_OPERATIONAL_WEBHOOK_URL: 'https://ops.example/hook' }, 'HERALD_OPERATIONAL_WEBHOOK_SECRET'],
    [{ HERALD_ADMIN_EMAIL: 'ops@example.com' }, 'HERALD_ADMIN_PASSWORD'],
    [{ HERALD_ADMIN_PASSWORD: 'long enough password' }, 'HERALD_ADMIN_EMAIL'],
    [{ HERALD_ADMIN_EMAIL: 'not an email', HERALD_ADMIN_PASSWORD: 'long enough password' }, 'HERALD_ADMIN_EMAIL'],
    [{ HERALD_ADMIN_EMAIL: 'ops@example.com', HERALD_ADMIN_PASSWORD: 'eleven char' }, 'HERALD_ADMIN_PASSWORD'],
    [{ HERALD_SESSION_TTL_S: '59' }, 'HERALD_SESSION_TTL_S'],
    [{ HERALD_SESSION_TTL_S: String(30 * 24 * 3600 + 1) }, 'HERALD_SESSION_TTL_S'],
    [{ HERALD_LOGIN_MAX_FAILURES: '0' }, 'HERALD_LOGIN_MAX_FAILURES'],
    [{ HERALD_LOGIN_MAX_FAILURES: 'many' }, 'HERALD_LOGIN_MAX_FAILURES'],
    [{ HERALD_ENDPOINT_CONCURRENCY: '0' }, 'HERALD_ENDPOINT_CONCURRENCY'],
    [
      {
        HERALD_OPERATIONAL_WEBHOOK_URL: 'https://ops.example/hook',
        HERALD_OPERATIONAL_WEBHOOK_SECRET: 'whsec_abcdefghij=klmnopqrstuvwxyzABCDEF',
      },
      'HERALD_OPERATIONAL_WEBHOOK_SECRET',
    ],
  ])('refuses %o, naming %s', (env, variable) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${variable}: `));
  });

  it('reads the operator settings: no admin, 12-hour sessions, 5 failures by default', () => {
    expect(loadConfig({}).operators).toEqual({ admin: undefined, sessionTtlS: 43_200, loginMaxFailures: 5 });
    const custom = loadConfig({
      HERALD_ADMIN_EMAIL: ' Ops@Example.com ',
      HERALD_ADMIN_PASSWORD: ' spaces count too ',
      HERALD_SESSION_TTL_S: '3600',
      HERALD_LOGIN_MAX_FAILURES: '10',
    }).operators;
    expect(custom).toEqual({
      admin: { email: 'ops@example.com', password: ' spaces count too ' },
      sessionTtlS: 3600,
      loginMaxFailures: 10,
    });
  });

  it('reads empty operator variables as unset', () => {
    const config = loadConfig({
      HERALD_ADMIN_EMAIL: '',
      HERALD_ADMIN_PASSWORD: '',
      HERALD_SESSION_TTL_S: '',
      HERALD_LOGIN_MAX_FAILURES: '',
    });
    expect(config.operators).toEqual({ admin: undefined, sessionTtlS: 43_200, loginMaxFailures: 5 });
  });

  it('never echoes the admin password in a problem', () => {
    const problems = problemsOf({ HERALD_ADMIN_EMAIL: 'ops@example.com', HERALD_ADMIN_PASSWORD: 'secret-ish' });
    expect(problems.join('\n')).not.toContain('secret-ish');
  });

  it('reads the delivery settings, with Svix-like defaults', () => {
    const defaults = loadConfig({}).delivery;
    expect(defaults).toEqual({
      retryScheduleS: [5, 300, 1800, 7200, 18_000, 36_000, 36_000],
      timeoutMs: 15_000,
      outboundAllowlist: [],
      httpsOnly: false,
      disableAfterS: 5 * 24 * 3600,
      concurrency: 1000,
      endpointConcurrency: 100,
    });
    expect(loadConfig({ HERALD_WORKER_CONCURRENCY: '2000', HERALD_ENDPOINT_CONCURRENCY: '20' }).delivery).toMatchObject({
      concurrency: 2000,
      endpointConcurrency: 20,
    });
    const custom = loadConfig({
      HERALD_RETRY_SCHEDULE: '1, 2,3',
      HERALD_OUTBOUND_ALLOWLIST: '127.0.0.0/8,::1,10.1.2.3',
      HERALD_HTTPS_ONLY: 'true',
    }).delivery;
    expect(custom.retryScheduleS).toEqual([1, 2, 3]);
    expect(custom.outboundAllowlist).toEqual(['127.0.0.0/8', '::1', '10.1.2.3']);
    expect(custom.httpsOnly).toBe(true);
  });

  it('reports every bad variable at once', () => {
    expect(
      problemsOf({ PORT: 'x', LOG_LEVEL: 'y' })
        .map((p) => p.split(':')[0])
        .sort(),
    ).toEqual(['LOG_LEVEL', 'PORT']);
  });
});

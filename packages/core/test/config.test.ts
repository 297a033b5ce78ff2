import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src';

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
  ])('refuses %o, naming %s', (env, variable) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${variable}: `));
  });

  it('reports every bad variable at once', () => {
    expect(
      problemsOf({ PORT: 'x', LOG_LEVEL: 'y' })
        .map((p) => p.split(':')[0])
        .sort(),
    ).toEqual(['LOG_LEVEL', 'PORT']);
  });
});

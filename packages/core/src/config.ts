import { resolve } from 'node:path';
import { z } from 'zod';

/** Empty strings count as unset, so `FOO=` in an env file means "use the default". */
const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const url = (protocols: string[]) =>
  optionalString.refine(
    (value) => {
      if (value === undefined) return true;
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const brokerList = optionalString.transform((value, ctx) => {
  if (value === undefined) return undefined;
  const brokers = value
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  for (const broker of brokers) {
    if (!/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(broker)) {
      ctx.addIssue({ code: 'custom', message: `"${broker}" is not host:port` });
      return z.NEVER;
    }
  }
  return brokers.length > 0 ? brokers : undefined;
});

const EnvSchema = z.object({
  PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535).default(8080),
  HOST: optionalString.default('127.0.0.1'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  REDIS_URL: url(['redis:', 'rediss:']),
  KAFKA_BROKERS: brokerList,
  HERALD_DATA_DIR: optionalString.default('./.herald'),
  HERALD_ADMIN_TOKEN: optionalString.refine((value) => value === undefined || value.length >= 32, {
    message: 'must be at least 32 characters',
  }),
  HERALD_QUEUE_BACKEND: z
    .enum(['redis', 'postgres'])
    .optional()
    .or(z.literal('').transform(() => undefined)),
  HERALD_QUEUE_PREFIX: optionalString.default('herald'),
  HERALD_MAX_BODY_BYTES: z.coerce
    .number({ error: 'must be a number of bytes' })
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type QueueBackendKind = 'redis' | 'postgres';

export interface HeraldConfig {
  port: number;
  host: string;
  /** Unset means "run the embedded PostgreSQL under dataDir". */
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  kafkaBrokers: string[] | undefined;
  dataDir: string;
  adminToken: string | undefined;
  queueBackend: QueueBackendKind;
  queuePrefix: string;
  /** Larger request bodies are refused with 413. */
  maxBodyBytes: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once, at start. Every invalid variable is reported by
 * name in one error, so an operator fixes them all in one go.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): HeraldConfig {
  const parsed = EnvSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  // Checked on the raw values so it is reported together with any other problem.
  if (env.HERALD_QUEUE_BACKEND?.trim() === 'redis' && !env.REDIS_URL?.trim()) {
    problems.push('HERALD_QUEUE_BACKEND: is "redis" but REDIS_URL is not set');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    kafkaBrokers: e.KAFKA_BROKERS,
    dataDir: resolve(e.HERALD_DATA_DIR),
    adminToken: e.HERALD_ADMIN_TOKEN,
    queueBackend: e.HERALD_QUEUE_BACKEND ?? (e.REDIS_URL ? 'redis' : 'postgres'),
    queuePrefix: e.HERALD_QUEUE_PREFIX,
    maxBodyBytes: e.HERALD_MAX_BODY_BYTES,
    logLevel: e.LOG_LEVEL,
  };
}

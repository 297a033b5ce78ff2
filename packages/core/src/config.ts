import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { isEndpointSecret } from './secrets';

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

/** Comma-separated list, each item checked by `item`; empty means unset. */
const commaList = <T>(what: string, item: (text: string) => T | undefined) =>
  optionalString.transform((value, ctx) => {
    if (value === undefined) return undefined;
    const items: T[] = [];
    for (const text of value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const parsed = item(text);
      if (parsed === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not ${what}` });
        return z.NEVER;
      }
      items.push(parsed);
    }
    return items;
  });

const seconds = (text: string) => (/^\d{1,7}$/.test(text) ? Number(text) : undefined);

const cidr = (text: string) => {
  const [address, prefix, extra] = text.split('/');
  const family = address ? isIP(address) : 0;
  if (!family || extra !== undefined) return undefined;
  if (prefix === undefined) return text;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  return bits >= 0 && bits <= (family === 4 ? 32 : 128) ? text : undefined;
};

/** Empty or blank reads as unset, before the variable's own schema sees it. */
const blankIsUnset = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), schema);

const flag = blankIsUnset(
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((value) => value === 'true' || value === '1'),
);

/**
 * A whole number within bounds. Empty (or blank) means "use the default": `z.coerce.number()`
 * alone reads "" as 0. Each check has its own message: an error map given to the number
 * schema would also replace the bound messages, so `0` would read "must be a number".
 */
const wholeNumber = (notANumber: string, bounds: { min: number; max?: number; default: number }) =>
  blankIsUnset(
    z
      .string()
      .trim()
      .regex(/^-?\d+$/, { message: notANumber })
      .transform(Number)
      .pipe(
        z
          .number()
          .min(bounds.min, { message: `must be at least ${bounds.min}` })
          .max(bounds.max ?? Number.MAX_SAFE_INTEGER, { message: `must be at most ${bounds.max ?? Number.MAX_SAFE_INTEGER}` }),
      )
      .optional()
      .transform((value) => value ?? bounds.default),
  );

/** Operator passwords: long enough to resist guessing; the upper bound keeps argon2's input bounded. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

/** Svix's schedule after the first, immediate attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE_S = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

const EnvSchema = z.object({
  PORT: wholeNumber('must be a port number', { min: 0, max: 65535, default: 8080 }),
  HOST: optionalString.default('127.0.0.1'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  REDIS_URL: url(['redis:', 'rediss:']),
  KAFKA_BROKERS: brokerList,
  HERALD_DATA_DIR: optionalString.default('./.herald'),
  HERALD_ADMIN_TOKEN: optionalString.refine((value) => value === undefined || value.length >= 32, {
    message: 'must be at least 32 characters',
  }),
  HERALD_ADMIN_EMAIL: optionalString.pipe(z.email({ error: 'must be an email address' }).max(320).optional()),
  HERALD_ADMIN_PASSWORD: z
    .string()
    .optional()
    // Blank is unset; otherwise spaces are part of the password, so it is not trimmed.
    .transform((value) => (value?.trim() === '' ? undefined : value))
    .refine((value) => value === undefined || value.length >= MIN_PASSWORD_LENGTH, {
      message: `must be at least ${MIN_PASSWORD_LENGTH} characters`,
    })
    .refine((value) => value === undefined || value.length <= MAX_PASSWORD_LENGTH, {
      message: `must be at most ${MAX_PASSWORD_LENGTH} characters`,
    }),
  HERALD_SESSION_TTL_S: wholeNumber('must be seconds', { min: 60, max: 30 * 24 * 3600, default: 12 * 3600 }),
  HERALD_LOGIN_MAX_FAILURES: wholeNumber('must be a number', { min: 1, max: 1000, default: 5 }),
  HERALD_QUEUE_BACKEND: blankIsUnset(z.enum(['redis', 'postgres']).optional()),
  HERALD_QUEUE_PREFIX: optionalString.default('herald'),
  HERALD_MAX_BODY_BYTES: wholeNumber('must be a number of bytes', { min: 1024, max: 64 * 1024 * 1024, default: 1024 * 1024 }),
  HERALD_RETRY_SCHEDULE: commaList('a number of seconds', seconds),
  HERALD_DELIVERY_TIMEOUT_MS: wholeNumber('must be milliseconds', { min: 100, max: 300_000, default: 15_000 }),
  HERALD_OUTBOUND_ALLOWLIST: commaList('an IP address or CIDR', cidr),
  HERALD_HTTPS_ONLY: flag,
  HERALD_TRUSTED_PROXIES: commaList('an IP address or CIDR', cidr),
  HERALD_OPERATIONAL_WEBHOOK_URL: url(['http:', 'https:']),
  HERALD_OPERATIONAL_WEBHOOK_SECRET: optionalString.refine((value) => value === undefined || isEndpointSecret(value), {
    message: 'must be a whsec_ secret (base64, 24 to 64 bytes)',
  }),
  HERALD_ENDPOINT_DISABLE_AFTER_S: wholeNumber('must be seconds', { min: 1, default: 5 * 24 * 3600 }),
  HERALD_WORKER_CONCURRENCY: wholeNumber('must be a number', { min: 1, max: 20_000, default: 1000 }),
  HERALD_ENDPOINT_CONCURRENCY: wholeNumber('must be a number', { min: 1, max: 20_000, default: 100 }),
  HERALD_SHUTDOWN_TIMEOUT_MS: wholeNumber('must be milliseconds', { min: 100, max: 600_000, default: 20_000 }),
  HERALD_METRICS_PORT: blankIsUnset(
    z
      .string()
      .trim()
      .regex(/^\d{1,5}$/, { message: 'must be a port number' })
      .transform(Number)
      .pipe(z.number().max(65535, { message: 'must be at most 65535' }))
      .optional(),
  ),
  LOG_LEVEL: blankIsUnset(z.enum(['debug', 'info', 'warn', 'error']).default('info')),
});

/** Every variable Herald reads; docs and tests walk this list. */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape) as (keyof typeof EnvSchema.shape)[];

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
  delivery: {
    /** Seconds to wait before each retry; attempts = 1 + its length. */
    retryScheduleS: number[];
    timeoutMs: number;
    /** CIDRs outbound requests may reach although they are private, loopback, etc. */
    outboundAllowlist: string[];
    httpsOnly: boolean;
    /** An endpoint failing without a success for this long is disabled. */
    disableAfterS: number;
    /** Sends in flight per worker process, all endpoints together. */
    concurrency: number;
    /** Sends in flight per worker process to any one endpoint: its share, whatever its neighbours do. */
    endpointConcurrency: number;
  };
  /** Where operational events (endpoint.disabled, message.attempt.*) are sent, signed with `secret`. */
  operationalWebhook: { url: string; secret: string } | undefined;
  /** Dashboard sign-in (docs/operations.md, "Operators"). */
  operators: {
    /** HERALD_ADMIN_EMAIL / HERALD_ADMIN_PASSWORD: an admin operator created at start if that email has none. */
    admin: { email: string; password: string } | undefined;
    /** Sessions end this long after sign-in, whatever happens in between. */
    sessionTtlS: number;
    /** Failed sign-ins per account in 15 minutes before it is locked until the window ends. */
    loginMaxFailures: number;
  };
  /**
   * Reverse proxies whose X-Forwarded-For names the client (sign-in limits are
   * per client address). Empty: the TCP peer is the client, and the header is ignored.
   */
  trustedProxies: string[];
  /** Larger request bodies are refused with 413. */
  maxBodyBytes: number;
  /** A graceful stop that takes longer is cut short; PostgreSQL (embedded) is still stopped. */
  shutdownTimeoutMs: number;
  /** The standalone worker serves `/metrics` on this port; unset, it serves none (the API always does). */
  metricsPort: number | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Start-up met the world and the world said no (port taken, data directory in use, a service
 * unreachable). `variable` names the setting an operator changes to fix it.
 */
export class StartupError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable}: ${detail}`);
    this.name = 'StartupError';
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
  if (Boolean(env.HERALD_OPERATIONAL_WEBHOOK_URL?.trim()) !== Boolean(env.HERALD_OPERATIONAL_WEBHOOK_SECRET?.trim())) {
    problems.push('HERALD_OPERATIONAL_WEBHOOK_SECRET: HERALD_OPERATIONAL_WEBHOOK_URL and its secret are set together');
  }
  // The password is never echoed: a problem names the variable only.
  if (Boolean(env.HERALD_ADMIN_EMAIL?.trim()) !== Boolean(env.HERALD_ADMIN_PASSWORD?.trim())) {
    problems.push(
      env.HERALD_ADMIN_EMAIL?.trim()
        ? 'HERALD_ADMIN_PASSWORD: HERALD_ADMIN_EMAIL is set, so its password must be too'
        : 'HERALD_ADMIN_EMAIL: HERALD_ADMIN_PASSWORD is set, so the email it belongs to must be too',
    );
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
    delivery: {
      retryScheduleS: e.HERALD_RETRY_SCHEDULE ?? DEFAULT_RETRY_SCHEDULE_S,
      timeoutMs: e.HERALD_DELIVERY_TIMEOUT_MS,
      outboundAllowlist: e.HERALD_OUTBOUND_ALLOWLIST ?? [],
      httpsOnly: e.HERALD_HTTPS_ONLY,
      disableAfterS: e.HERALD_ENDPOINT_DISABLE_AFTER_S,
      concurrency: e.HERALD_WORKER_CONCURRENCY,
      endpointConcurrency: e.HERALD_ENDPOINT_CONCURRENCY,
    },
    operationalWebhook:
      e.HERALD_OPERATIONAL_WEBHOOK_URL && e.HERALD_OPERATIONAL_WEBHOOK_SECRET
        ? { url: e.HERALD_OPERATIONAL_WEBHOOK_URL, secret: e.HERALD_OPERATIONAL_WEBHOOK_SECRET }
        : undefined,
    operators: {
      admin:
        e.HERALD_ADMIN_EMAIL && e.HERALD_ADMIN_PASSWORD
          ? { email: e.HERALD_ADMIN_EMAIL.toLowerCase(), password: e.HERALD_ADMIN_PASSWORD }
          : undefined,
      sessionTtlS: e.HERALD_SESSION_TTL_S,
      loginMaxFailures: e.HERALD_LOGIN_MAX_FAILURES,
    },
    trustedProxies: e.HERALD_TRUSTED_PROXIES ?? [],
    maxBodyBytes: e.HERALD_MAX_BODY_BYTES,
    shutdownTimeoutMs: e.HERALD_SHUTDOWN_TIMEOUT_MS,
    metricsPort: e.HERALD_METRICS_PORT,
    logLevel: e.LOG_LEVEL,
  };
}

import type { HeraldConfig } from '@herald/core';
import type { Database } from '@herald/db';
import type { QueueRuntime } from '@herald/queue';
import type { Dispatcher } from '@herald/services';

/** Who is calling, resolved from the API key. */
export interface Principal {
  keyId: string;
  orgId: string;
  scope: 'root' | 'org' | 'app';
  /** Set for app-scoped keys: the one application they may touch. */
  appId: string | null;
}

/** What the API needs from the outside world; tests pass their own. */
export interface ApiDeps {
  config: HeraldConfig;
  db: Database;
  queue: QueueRuntime;
  /** Directory holding the built dashboard; served at `/` when present. */
  dashboardDir?: string;
  /** Hands committed messages to the queue; created by the app when absent. */
  dispatcher?: Dispatcher;
  /** Enforces event-type JSON Schemas at ingest. */
  payloadSchemas?: { check(orgId: string, eventType: string, payload: unknown): Promise<void> };
}

export interface ApiEnv {
  Variables: {
    requestId: string;
    principal: Principal;
  };
}

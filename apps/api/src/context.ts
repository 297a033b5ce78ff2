import type { HeraldConfig, Logger } from '@herald/core';
import type { Database } from '@herald/db';
import type { QueueRuntime } from '@herald/queue';
import type { Dispatcher } from '@herald/services';

/** Who is calling, resolved from the API key or the operator's session token. */
export interface Principal {
  kind: 'api_key' | 'operator';
  /** The API key's id, or the session's. */
  credentialId: string;
  orgId: string;
  /** Operator sessions act with `org` scope in their organization. */
  scope: 'root' | 'org' | 'app';
  /** Set for app-scoped keys: the one application they may touch. */
  appId: string | null;
  /** Set for operator sessions: who signed in, and as what. */
  operator: { id: string; role: 'admin' | 'member' } | null;
  /** A read-only app-portal token: it may read, but not write or see signing secrets. */
  readOnly: boolean;
  /** When the credential stops working (a session always ends; a key may never). */
  expiresAt: Date | null;
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
  /** Sign-in attempts one client address may make per minute on this process (default 30); tests raise it. */
  loginAttemptsPerClientPerMinute?: number;
  /** Enforces event-type JSON Schemas at ingest. */
  payloadSchemas?: { check(orgId: string, eventType: string, payload: unknown): Promise<void> };
}

export interface ApiEnv {
  Variables: {
    requestId: string;
    /** The process's logger with this request's id bound. */
    log: Logger;
    principal: Principal;
    /**
     * Whether the credential of this request is still good (not revoked, signed
     * out, removed or expired). Long-lived responses (SSE) ask it again while
     * they run; answered from the authenticator's one-second cache.
     */
    credentialStillValid: () => Promise<boolean>;
  };
}

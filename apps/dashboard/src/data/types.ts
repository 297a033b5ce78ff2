/** Wire shapes of the Herald API as the dashboard reads them (camelCase JSON). */

export interface Page<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

export interface Application {
  id: string;
  uid: string | null;
  name: string;
  rateLimit: number | null;
  throttleRate: number | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export type EndpointType = 'webhook' | 'kafka' | 'queue';

export interface Endpoint {
  id: string;
  appId: string;
  uid: string | null;
  url: string;
  description: string;
  version: number;
  disabled: boolean;
  filterTypes: string[] | null;
  channels: string[] | null;
  rateLimit: number | null;
  throttleRate: number | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  filter: Record<string, unknown> | null;
  retrySchedule: number[] | null;
  fifo: boolean;
  type: EndpointType;
  settings: Record<string, unknown>;
}

export interface EventType {
  id: string;
  name: string;
  description: string;
  archived: boolean;
  deprecated: boolean;
  featureFlag: string | null;
  featureFlags: string[] | null;
  groupName: string | null;
  schemas?: Record<string, Record<string, unknown>> | null;
  createdAt: string;
  updatedAt: string;
}

export interface Message {
  id: string;
  appId: string;
  eventType: string;
  eventId: string | null;
  payload: unknown;
  channels: string[] | null;
  tags: string[] | null;
  deliverAt: string | null;
  timestamp: string;
}

/** Svix message status: 0 success, 1 pending, 2 fail, 3 sending, 4 canceled. */
export type StatusText = 'success' | 'pending' | 'fail' | 'sending' | 'canceled';

export interface Attempt {
  id: string;
  appId: string;
  msgId: string;
  endpointId: string;
  url: string;
  response: string;
  responseStatusCode: number;
  responseDurationMs: number;
  status: number;
  statusText: StatusText;
  triggerType: number;
  timestamp: string;
  msg?: Message;
  /**
   * A failure after which nothing is retried (the delivery was dead-lettered).
   * Optional: APIs from before the field leave it out.
   */
  final?: boolean;
}

/** An endpoint a message goes to, with the delivery's state (`GET …/msg/{id}/endpoint`). */
export interface MessageDestination extends Omit<Endpoint, 'metadata'> {
  status: number;
  statusText: StatusText;
  nextAttempt: string | null;
}

export interface DeadLetter {
  id: string;
  appId: string;
  messageId: string;
  endpointId: string;
  eventType: string;
  eventId: string | null;
  attemptCount: number;
  lastAttemptAt: string | null;
  reason: string | null;
}

export interface ReplayFilter {
  endpointId?: string;
  eventTypes?: string[];
  since?: string;
  until?: string;
  reason?: string;
}

export interface ReplayTask {
  id: string;
  appId: string;
  endpointId: string | null;
  kind: 'dead_letters' | 'replay_missing';
  filter: ReplayFilter;
  status: 'running' | 'finished' | 'failed' | 'canceled';
  total: number;
  done: number;
  createdAt: string;
  updatedAt: string;
}

export interface Whoami {
  kind: 'operator' | 'api_key';
  orgId: string;
  scope: 'root' | 'org' | 'app';
  appId: string | null;
  operator: import('../api').Operator | null;
  expiresAt: string | null;
}

export interface LoginOut {
  token: string;
  expiresAt: string | null;
  operator: import('../api').Operator;
}

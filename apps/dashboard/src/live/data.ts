import { useEffect, useRef, useState } from 'react';
import { api } from '../api';

/** The fields of `EndpointOut` the live views use. */
export interface EndpointSummary {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  disabled: boolean;
  type?: string;
  settings?: Record<string, unknown>;
}

/** An endpoint's circuit breaker right now, from the application stats. */
export interface EndpointHealth {
  consecutiveFailures: number;
  failingSince: string | null;
  circuitOpenUntil: string | null;
}

export interface ApplicationSummary {
  id: string;
  uid: string | null;
  name: string;
}

export interface StatsBucket {
  start: string;
  succeeded: number;
  failed: number;
  /** Per-bucket latency, if the API reports it. */
  p50DurationMs?: number | null;
  p99DurationMs?: number | null;
}

export interface DeliveryStats {
  attempts: { succeeded: number; failed: number };
  successRate: number | null;
  p50DurationMs: number | null;
  p99DurationMs: number | null;
  backlog: number;
  buckets: StatsBucket[];
}

/** `GET /api/v1/app/{app_id}/stats` (AppStats). */
export interface AppStats extends DeliveryStats {
  since: string;
  until: string;
  bucket: StatsBucketSize;
  endpoints: (DeliveryStats & { endpointId: string; uid: string | null; health: EndpointHealth })[];
}

export type StatsBucketSize = 'minute' | 'hour' | 'day';
export const BUCKET_MS: Record<StatsBucketSize, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

interface Page<T> {
  data: T[];
  iterator: string | null;
  done: boolean;
}

/** Walks a cursor-paginated list up to `max` items. */
async function listAll<T>(path: string, max: number): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let iterator: string | null = null;
  for (;;) {
    const query = new URLSearchParams({ limit: '250' });
    if (iterator) query.set('iterator', iterator);
    const page: Page<T> = await api<Page<T>>(`${path}?${query}`);
    items.push(...page.data);
    if (page.done || !page.iterator || page.data.length === 0) return { items, truncated: false };
    if (items.length >= max) return { items: items.slice(0, max), truncated: true };
    iterator = page.iterator;
  }
}

export const MAX_ENDPOINTS = 1000;
export const MAX_APPLICATIONS = 1000;

export const listEndpoints = (appId: string) => listAll<EndpointSummary>(`/app/${encodeURIComponent(appId)}/endpoint`, MAX_ENDPOINTS);

export const listApplications = () => listAll<ApplicationSummary>('/app', MAX_APPLICATIONS);

export function fetchAppStats(appId: string, bucket: StatsBucketSize, windowMs: number): Promise<AppStats> {
  const query = new URLSearchParams({ bucket, since: new Date(Date.now() - windowMs).toISOString() });
  return api<AppStats>(`/app/${encodeURIComponent(appId)}/stats?${query}`);
}

/** `GET /api/v1/stats/endpoint-health`: an endpoint failing right now, anywhere in the organization. */
export interface EndpointAttention {
  endpointId: string;
  appId: string;
  uid: string | null;
  url: string;
  description: string;
  type: string;
  disabled: boolean;
  health: EndpointHealth & { circuitTrips: number };
}

export async function listEndpointsNeedingAttention(): Promise<EndpointAttention[]> {
  return (await api<{ data: EndpointAttention[] }>('/stats/endpoint-health')).data;
}

/** Applications whose endpoints one page looks up for their names. */
const DIRECTORY_APPS = 50;
/** An endpoint not found in its application's list is looked for again after this long (it may be new). */
const DIRECTORY_RETRY_MS = 10_000;

/**
 * The endpoints (by id) of the applications that `attempts` come from, for
 * their names: the attempt stream carries an endpoint's URL, not its
 * description or uid. Each application's list is read once, and again when
 * an endpoint of it turns up that the list did not have (at once if the
 * attempt is newer than the list, else at most every 10 s).
 */
export function useEndpointDirectory(
  attempts: readonly { appId: string; endpointId: string; timestamp?: string }[],
): Map<string, EndpointSummary> {
  const [directory, setDirectory] = useState(() => new Map<string, EndpointSummary>());
  const requested = useRef(new Map<string, number>());
  useEffect(() => {
    const due = new Set<string>();
    for (const { appId, endpointId, timestamp } of attempts) {
      if (directory.has(endpointId)) continue;
      const at = requested.current.get(appId);
      // Listed before this attempt was made: the endpoint may be newer than the list, so ask again now.
      const stale = at !== undefined && (Date.now() - at > DIRECTORY_RETRY_MS || (timestamp !== undefined && Date.parse(timestamp) > at));
      if (at === undefined ? requested.current.size < DIRECTORY_APPS : stale) due.add(appId);
    }
    for (const appId of due) {
      requested.current.set(appId, Date.now());
      listEndpoints(appId).then(
        (result) =>
          setDirectory((current) => {
            const next = new Map(current);
            for (const endpoint of result.items) next.set(endpoint.id, endpoint);
            return next;
          }),
        // Names are a nicety: without them the feed shows endpoint ids.
        () => undefined,
      );
    }
  }, [attempts, directory]);
  return directory;
}

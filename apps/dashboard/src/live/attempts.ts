import { useEffect, useRef } from 'react';
import { useEventStream } from './sse';

/**
 * The `data` of an `event: attempt` on `GET /api/v1/stream/attempts`
 * (`AttemptStreamEvent` in apps/api/src/routes/streams/schemas.ts).
 */
export interface AttemptEvent {
  id: string;
  seq: number;
  msgId: string;
  endpointId: string;
  appId: string;
  /** Svix numbering: 0 success, 1 pending, 2 fail, 3 sending. */
  status: number;
  statusText: string;
  responseStatusCode: number;
  responseDurationMs: number;
  /** 0 scheduled, 1 manual (a replay or resend). */
  triggerType: number;
  timestamp: string;
  url: string;
  eventType: string;
  /**
   * A failure after which nothing is retried (the delivery is dead-lettered).
   * Optional: APIs from before the field leave it out.
   */
  final?: boolean;
}

export type AttemptOutcome = 'succeeded' | 'failed' | 'pending';

export function attemptOutcome(attempt: Pick<AttemptEvent, 'status'>): AttemptOutcome {
  if (attempt.status === 0) return 'succeeded';
  if (attempt.status === 2) return 'failed';
  return 'pending';
}

export interface AttemptFilter {
  appId?: string | undefined;
  endpointId?: string | undefined;
  /** Server-side filter, Svix numbering. */
  status?: 0 | 2 | undefined;
  /** Open with up to this many of the newest matching attempts (ignored when resuming with Last-Event-ID). */
  history?: number | undefined;
}

export function attemptStreamPath(filter: AttemptFilter): string {
  const query = new URLSearchParams();
  if (filter.appId) query.set('app_id', filter.appId);
  if (filter.endpointId) query.set('endpoint_id', filter.endpointId);
  if (filter.status !== undefined) query.set('status', String(filter.status));
  if (filter.history) query.set('history', String(filter.history));
  const text = query.toString();
  return text ? `/stream/attempts?${text}` : '/stream/attempts';
}

function parseAttempt(data: string): AttemptEvent | undefined {
  try {
    const value = JSON.parse(data) as Partial<AttemptEvent> | null;
    if (!value || typeof value.id !== 'string' || typeof value.endpointId !== 'string' || typeof value.status !== 'number')
      return undefined;
    return value as AttemptEvent;
  } catch {
    return undefined;
  }
}

/**
 * Live attempts matching `filter` (starting now), handed over in batches of
 * at most one per `flushMs`, so a busy organization re-renders a few times a
 * second rather than once per delivery. `onAttempts` gets them oldest first.
 */
export function useAttemptStream(
  filter: AttemptFilter | null,
  onAttempts: (attempts: AttemptEvent[]) => void,
  options: { enabled?: boolean; flushMs?: number } = {},
) {
  const { enabled = true, flushMs = 250 } = options;
  const pending = useRef<AttemptEvent[]>([]);
  const onAttemptsRef = useRef(onAttempts);
  useEffect(() => {
    onAttemptsRef.current = onAttempts;
  });

  useEffect(() => {
    const timer = setInterval(() => {
      if (pending.current.length === 0) return;
      const batch = pending.current;
      pending.current = [];
      onAttemptsRef.current(batch);
    }, flushMs);
    return () => clearInterval(timer);
  }, [flushMs]);

  return useEventStream(filter ? attemptStreamPath(filter) : null, {
    enabled,
    monotonicIds: true,
    onEvent: (event) => {
      if (event.event !== 'attempt') return;
      const attempt = parseAttempt(event.data);
      if (!attempt) return;
      pending.current.push(attempt);
      // Bounded even if the tab is in the background and timers are throttled.
      if (pending.current.length > 5000) pending.current.splice(0, pending.current.length - 5000);
    },
  });
}

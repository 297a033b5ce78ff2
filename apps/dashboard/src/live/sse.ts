import type { EventSourceMessage } from 'eventsource-parser';
import { useCallback, useEffect, useRef, useState } from 'react';
import { authHeader, onUnauthorized } from '../api';
import { type EventStreamHandle, openEventStream, type StreamStatus } from './stream-client';

export type { StreamError, StreamState, StreamStatus } from './stream-client';

export interface UseEventStreamOptions {
  onEvent(event: EventSourceMessage): void;
  /** False (or a null path) closes the stream. */
  enabled?: boolean;
  /** Ids are increasing integers (attempt seqs): never hand over an id at or below the last one. */
  monotonicIds?: boolean;
  idleTimeoutMs?: number;
}

interface Subscriber {
  onEvent(event: EventSourceMessage): void;
  onStatus(status: StreamStatus): void;
}

interface SharedStream {
  handle: EventStreamHandle;
  subscribers: Set<Subscriber>;
}

/**
 * Components asking for the same stream share one connection: browsers allow
 * six HTTP/1.1 connections per origin across all tabs, and each SSE holds one.
 */
const shared = new Map<string, SharedStream>();

function subscribe(path: string, options: { monotonicIds: boolean; idleTimeoutMs: number | undefined }, subscriber: Subscriber) {
  const key = `${path}\n${options.monotonicIds}\n${options.idleTimeoutMs ?? ''}`;
  let stream = shared.get(key);
  if (!stream) {
    const subscribers = new Set<Subscriber>();
    const handle = openEventStream({
      url: `/api/v1${path}`,
      headers: authHeader,
      onUnauthorized: (detail) => onUnauthorized(detail),
      monotonicIds: options.monotonicIds,
      idleTimeoutMs: options.idleTimeoutMs,
      onEvent: (event) => {
        for (const s of subscribers) s.onEvent(event);
      },
      onStatus: (status) => {
        // A stopped stream is not shared any more: the next subscriber starts afresh.
        if ((status.state === 'error' || status.state === 'closed') && shared.get(key) === current) shared.delete(key);
        for (const s of subscribers) s.onStatus(status);
      },
    });
    const current: SharedStream = { handle, subscribers };
    stream = current;
    shared.set(key, stream);
  } else {
    subscriber.onStatus(stream.handle.status);
  }
  const joined = stream;
  joined.subscribers.add(subscriber);
  let left = false;
  return () => {
    if (left) return;
    left = true;
    joined.subscribers.delete(subscriber);
    if (joined.subscribers.size === 0) {
      if (shared.get(key) === joined) shared.delete(key);
      joined.handle.close();
    }
  };
}

/** Asks every open stream to skip its backoff wait: the browser has just come back online. */
function reconnectAll() {
  for (const stream of shared.values()) stream.handle.reconnectNow();
}
if (typeof window !== 'undefined') window.addEventListener('online', reconnectAll);

/**
 * An SSE stream of `/api/v1${path}` with the dashboard's credential, for as
 * long as the component is mounted, `enabled` is true and `path` is not null.
 * `onEvent` may change between renders without reconnecting.
 */
export function useEventStream(path: string | null, options: UseEventStreamOptions): StreamStatus & { close(): void } {
  const { enabled = true, monotonicIds = false, idleTimeoutMs } = options;
  const onEventRef = useRef(options.onEvent);
  useEffect(() => {
    onEventRef.current = options.onEvent;
  });
  const [status, setStatus] = useState<StreamStatus>({ state: 'connecting', error: null, retryAt: null });
  const leaveRef = useRef<(() => void) | undefined>(undefined);

  useEffect(() => {
    if (path === null || !enabled) {
      setStatus({ state: 'closed', error: null, retryAt: null });
      return;
    }
    setStatus({ state: 'connecting', error: null, retryAt: null });
    const leave = subscribe(
      path,
      { monotonicIds, idleTimeoutMs },
      { onEvent: (event) => onEventRef.current(event), onStatus: (next) => setStatus(next) },
    );
    leaveRef.current = leave;
    return () => {
      leaveRef.current = undefined;
      leave();
    };
  }, [path, enabled, monotonicIds, idleTimeoutMs]);

  const close = useCallback(() => {
    leaveRef.current?.();
    leaveRef.current = undefined;
    setStatus({ state: 'closed', error: null, retryAt: null });
  }, []);

  return { ...status, close };
}

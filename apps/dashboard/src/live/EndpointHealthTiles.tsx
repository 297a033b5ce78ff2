import { Alert, Box, Button, LinearProgress, Stack, Typography } from '@mui/material';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { endpointName } from '../components/endpointName';
import { type AttemptEvent, attemptOutcome, useAttemptStream } from './attempts';
import { type AppStats, type EndpointSummary, fetchAppStats, listEndpoints } from './data';
import { compareHealth, HealthTile, TileGrid, type TileModel } from './HealthTile';
import { useThrottledTask } from './hooks';
import { ConnectionChip, describeError, StreamErrorAlert } from './ui';

/** Where a tile's endpoint delivers: its URL, or its Kafka topic / queue. */
function destinationText(endpoint: EndpointSummary): string {
  const settings = endpoint.settings ?? {};
  if (endpoint.type === 'kafka') return `Kafka topic ${String(settings.topic ?? '?')}`;
  if (endpoint.type === 'queue') return `Queue ${String(settings.queue ?? '?')}`;
  return endpoint.url;
}

/** Success rate, percentiles and counts cover this window (minute buckets). */
const WINDOW_MS = 60 * 60_000;
const WINDOW_LABEL = 'last hour';
/** Tiles shown before "Show all". */
const FIRST_TILES = 60;

interface Counts {
  succeeded: number;
  failed: number;
}

function addCount(map: Map<string, Counts>, id: string, ok: boolean) {
  const counts = map.get(id) ?? { succeeded: 0, failed: 0 };
  if (ok) counts.succeeded++;
  else counts.failed++;
  map.set(id, counts);
}

/**
 * One tile per endpoint of the application: initial figures from
 * `GET /app/{app_id}/stats` (last hour), then live from the attempt stream
 * (counts and last attempt at once; percentiles and backlog by a refetch at
 * most every 5 s while attempts arrive, and every 30 s anyway).
 */
export function EndpointHealthTiles({ appId }: { appId: string }) {
  // A fresh state per application.
  return <AppHealthTiles key={appId} appId={appId} />;
}

function AppHealthTiles({ appId }: { appId: string }) {
  const [endpoints, setEndpoints] = useState<EndpointSummary[] | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [order, setOrder] = useState<string[] | null>(null);
  const [stats, setStats] = useState<AppStats | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [showAll, setShowAll] = useState(false);
  const [, setVersion] = useState(0);

  // Attempts counted since the last stats request was sent, and those counted while it is in flight.
  const deltas = useRef(new Map<string, Counts>());
  const inFlight = useRef<Map<string, Counts> | null>(null);
  const lastAttempts = useRef(new Map<string, AttemptEvent>());
  const known = useRef(new Set<string>());

  const loadStats = useCallback(async () => {
    const sent = deltas.current;
    inFlight.current = sent;
    deltas.current = new Map();
    try {
      const next = await fetchAppStats(appId, 'minute', WINDOW_MS);
      setStats(next);
      setError(null);
    } catch (failure) {
      // Not counted by the server after all: keep them.
      for (const [id, counts] of sent) {
        const now = deltas.current.get(id) ?? { succeeded: 0, failed: 0 };
        deltas.current.set(id, { succeeded: now.succeeded + counts.succeeded, failed: now.failed + counts.failed });
      }
      setError(`Could not load endpoint statistics: ${describeError(failure)}`);
    } finally {
      inFlight.current = null;
    }
  }, [appId]);

  const loadEndpoints = useCallback(async () => {
    try {
      const result = await listEndpoints(appId);
      known.current = new Set(result.items.flatMap((e) => [e.id, ...(e.uid ? [e.uid] : [])]));
      setEndpoints(result.items);
      setTruncated(result.truncated);
    } catch (failure) {
      setError(`Could not load the endpoints: ${describeError(failure)}`);
      setEndpoints((current) => current ?? []);
    }
  }, [appId]);

  const refreshStats = useThrottledTask(loadStats, { intervalMs: 5000, everyMs: 30_000 });
  const refreshEndpoints = useThrottledTask(loadEndpoints, { intervalMs: 10_000, everyMs: 60_000 });

  useEffect(() => {
    void loadEndpoints();
    void loadStats();
  }, [loadEndpoints, loadStats]);

  const stream = useAttemptStream({ appId }, (batch) => {
    let unknown = false;
    for (const attempt of batch) {
      addCount(deltas.current, attempt.endpointId, attemptOutcome(attempt) === 'succeeded');
      lastAttempts.current.set(attempt.endpointId, attempt);
      if (!known.current.has(attempt.endpointId)) unknown = true;
    }
    if (lastAttempts.current.size > 2000) lastAttempts.current.clear();
    if (unknown) refreshEndpoints();
    refreshStats();
    setVersion((v) => v + 1);
  });

  const tiles = useMemo(() => buildTiles(endpoints, stats), [endpoints, stats]);
  const byId = new Map(tiles.map((tile) => [tile.endpointId, tile]));

  // Worst first, decided once when the figures arrive, so tiles do not jump around while you read them.
  useEffect(() => {
    if (!endpoints || !stats) return;
    setOrder((current) => {
      const sorted = buildTiles(endpoints, stats)
        .sort(compareHealth)
        .map((t) => t.endpointId);
      if (!current) return sorted;
      const still = current.filter((id) => sorted.includes(id));
      return [...still, ...sorted.filter((id) => !still.includes(id))];
    });
  }, [endpoints, stats]);

  const ordered = (order ?? tiles.map((t) => t.endpointId)).flatMap((id) => {
    const tile = byId.get(id);
    return tile ? [withLive(tile, deltas.current, inFlight.current, lastAttempts.current)] : [];
  });
  const visible = showAll ? ordered : ordered.slice(0, FIRST_TILES);

  return (
    <Box data-testid="endpoint-health" data-app-id={appId}>
      <Stack direction="row" spacing={1} sx={{ mb: 1, alignItems: 'center' }}>
        <Typography variant="subtitle1" component="h2">
          Endpoint health
        </Typography>
        <Typography variant="caption" color="text.secondary">
          {WINDOW_LABEL}
        </Typography>
        <Box sx={{ flex: 1 }} />
        <ConnectionChip status={stream} testId="tiles-connection" label="Endpoint health updates" />
      </Stack>
      <StreamErrorAlert status={stream} what="Live endpoint health" />
      {error ? (
        <Alert severity="warning" sx={{ mb: 1 }} data-testid="health-tiles-error">
          {error}
        </Alert>
      ) : null}
      {endpoints === null ? (
        <LinearProgress aria-label="Loading endpoints" />
      ) : ordered.length === 0 ? (
        <Typography color="text.secondary" data-testid="health-tiles-empty">
          This application has no endpoints yet.
        </Typography>
      ) : (
        <TileGrid label="Endpoint health">
          {visible.map((tile) => (
            <HealthTile key={tile.endpointId} tile={tile} />
          ))}
        </TileGrid>
      )}
      {!showAll && ordered.length > FIRST_TILES ? (
        <Button size="small" sx={{ mt: 1 }} onClick={() => setShowAll(true)}>
          Show all {ordered.length} endpoints
        </Button>
      ) : null}
      {truncated ? (
        <Typography variant="caption" color="text.secondary" component="p">
          Only the first {ordered.length} endpoints are shown.
        </Typography>
      ) : null}
    </Box>
  );
}

function buildTiles(endpoints: EndpointSummary[] | null, stats: AppStats | null): TileModel[] {
  if (!endpoints) return [];
  const statsById = new Map((stats?.endpoints ?? []).map((s) => [s.endpointId, s]));
  return endpoints.map((endpoint) => {
    const s = statsById.get(endpoint.id);
    return {
      endpointId: endpoint.id,
      url: destinationText(endpoint),
      name: endpointName(endpoint),
      type: endpoint.type,
      successRate: s?.successRate ?? null,
      attempts: s ? s.attempts.succeeded + s.attempts.failed : 0,
      succeeded: s?.attempts.succeeded ?? 0,
      windowLabel: WINDOW_LABEL,
      p50: s?.p50DurationMs ?? null,
      p99: s?.p99DurationMs ?? null,
      backlog: s?.backlog,
      disabled: endpoint.disabled,
      circuitOpenUntil: s?.health.circuitOpenUntil ?? null,
      consecutiveFailures: s?.health.consecutiveFailures ?? 0,
    };
  });
}

/** The stats figures plus what the stream brought since they were requested. */
function withLive(
  tile: TileModel,
  deltas: Map<string, Counts>,
  inFlight: Map<string, Counts> | null,
  last: Map<string, AttemptEvent>,
): TileModel {
  const base = { succeeded: tile.succeeded, failed: tile.attempts - tile.succeeded };
  for (const extra of [deltas.get(tile.endpointId), inFlight?.get(tile.endpointId)]) {
    if (!extra) continue;
    base.succeeded += extra.succeeded;
    base.failed += extra.failed;
  }
  const attempts = base.succeeded + base.failed;
  return {
    ...tile,
    attempts,
    succeeded: base.succeeded,
    successRate: attempts > 0 ? base.succeeded / attempts : null,
    last: last.get(tile.endpointId),
  };
}

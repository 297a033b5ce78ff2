import {
  Box,
  Button,
  Card,
  CardContent,
  Chip,
  MenuItem,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { keyframes } from '@mui/material/styles';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { Title } from 'react-admin';
import { isPortalMode } from '../api';
import { useCurrentAppId } from '../currentApp';
import { type AttemptEvent, type AttemptOutcome, attemptOutcome, useAttemptStream } from './attempts';
import { type ApplicationSummary, listApplications } from './data';
import { EndpointHealthTiles } from './EndpointHealthTiles';
import { HealthTile, TileGrid, type TileModel } from './HealthTile';
import { ConnectionChip, describeError, formatMs, formatTime, LiveSectionBoundary, OutcomeChip, quantile, StreamErrorAlert } from './ui';

/** Rows kept in the feed; older ones fall off the bottom. */
export const FEED_LIMIT = 200;
/** Endpoints tracked for the tiles when no application is selected (least recently seen dropped first). */
const SEEN_ENDPOINTS_LIMIT = 48;
/** Attempts per endpoint the "seen" tiles compute their figures from. */
const SEEN_SAMPLES = 200;

type StatusFilter = 'all' | AttemptOutcome;

const flash = keyframes`from { background-color: rgba(25, 118, 210, 0.12); } to { background-color: transparent; }`;

/**
 * The organization's deliveries as they happen (or one application's), newest
 * on top, with the health of the endpoints involved. The status filter is
 * applied here rather than on the stream so that the health tiles, which share
 * the stream, still see every attempt.
 */
export function LiveFeedPage() {
  const portal = isPortalMode();
  const portalAppId = useCurrentAppId();
  const [chosenAppId, setChosenAppId] = useState('');
  const appId = portal ? (portalAppId ?? '') : chosenAppId;
  const [status, setStatus] = useState<StatusFilter>('all');
  const [paused, setPaused] = useState(false);
  const [apps, setApps] = useState<ApplicationSummary[] | null>(null);
  const [appsError, setAppsError] = useState<string | null>(null);

  useEffect(() => {
    if (portal) return;
    let live = true;
    listApplications().then(
      (result) => live && setApps(result.items),
      (error: unknown) => live && setAppsError(describeError(error)),
    );
    return () => {
      live = false;
    };
  }, [portal]);
  const appNames = useMemo(() => new Map((apps ?? []).map((a) => [a.id, a.name])), [apps]);

  return (
    <Box sx={{ p: { xs: 1, md: 2 }, minWidth: 0, maxWidth: '100%', boxSizing: 'border-box' }} data-testid="live-feed-page">
      <Title title="Live deliveries" />
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} sx={{ mb: 2, alignItems: { md: 'center' } }}>
        <Typography variant="h6" component="h1" sx={{ flex: 1, whiteSpace: 'nowrap' }}>
          Live deliveries
        </Typography>
        <TextField
          select
          size="small"
          label="Filter by application"
          data-testid="live-filter-app"
          slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
          value={appId}
          disabled={portal}
          onChange={(event) => setChosenAppId(event.target.value)}
          sx={{ width: { xs: '100%', md: 260 }, flexShrink: 0 }}
          helperText={appsError ? `Applications could not be listed: ${appsError}` : undefined}
          error={Boolean(appsError)}
        >
          <MenuItem value="">All applications</MenuItem>
          {appId && !appNames.has(appId) ? <MenuItem value={appId}>{appId}</MenuItem> : null}
          {(apps ?? []).map((app) => (
            <MenuItem key={app.id} value={app.id}>
              {app.name}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          select
          size="small"
          label="Filter by status"
          data-testid="live-filter-status"
          value={status}
          onChange={(event) => setStatus(event.target.value as StatusFilter)}
          sx={{ width: { xs: '100%', md: 180 }, flexShrink: 0 }}
        >
          <MenuItem value="all">All statuses</MenuItem>
          <MenuItem value="succeeded">Succeeded</MenuItem>
          <MenuItem value="failed">Failed</MenuItem>
          <MenuItem value="pending">Pending</MenuItem>
        </TextField>
        <Button variant="outlined" onClick={() => setPaused((p) => !p)} data-testid="live-pause" aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </Button>
      </Stack>
      {/* Keyed by application: a new filter is a new stream, starting now. */}
      <FeedAndTiles key={appId} appId={appId} status={status} paused={paused} appNames={appNames} />
    </Box>
  );
}

interface SeenEndpoint {
  endpointId: string;
  appId: string;
  url: string;
  samples: { ok: boolean; ms: number }[];
  last: AttemptEvent;
}

function FeedAndTiles(props: { appId: string; status: StatusFilter; paused: boolean; appNames: Map<string, string> }) {
  const { appId, status, paused, appNames } = props;
  // Every attempt received (newest first, capped), whatever the status filter; filtered when shown.
  const [rows, setRows] = useState<AttemptEvent[]>([]);
  const [frozen, setFrozen] = useState<AttemptEvent[] | null>(null);
  const [received, setReceived] = useState(0);
  const seen = useRef(new Map<string, SeenEndpoint>());
  const [seenVersion, setSeenVersion] = useState(0);

  const stream = useAttemptStream(appId ? { appId } : {}, (batch) => {
    setRows((current) => {
      const held = new Set(current.map((row) => row.id));
      const fresh = batch.filter((attempt) => !held.has(attempt.id)).reverse();
      return fresh.length === 0 ? current : [...fresh, ...current].slice(0, FEED_LIMIT);
    });
    setReceived((n) => n + batch.length);
    if (!appId) {
      trackSeen(seen.current, batch);
      setSeenVersion((v) => v + 1);
    }
  });

  useEffect(() => {
    setFrozen((current) => (paused ? (current ?? rows) : null));
  }, [paused, rows]);

  const shown = (paused && frozen ? frozen : rows).filter((row) => status === 'all' || attemptOutcome(row) === status);
  const hidden = paused && frozen ? rows.filter((row) => !frozen.includes(row)).length : 0;

  return (
    <Stack spacing={2}>
      <Card variant="outlined">
        <CardContent>
          <Stack direction="row" spacing={1} sx={{ mb: 1, alignItems: 'center', flexWrap: 'wrap' }}>
            <ConnectionChip status={stream} testId="live-connection" label="Delivery feed" />
            <Typography variant="body2" color="text.secondary" data-testid="live-count">
              {received.toLocaleString()} attempt{received === 1 ? '' : 's'} received · {shown.length} shown (the newest {FEED_LIMIT} are
              kept)
            </Typography>
            {paused ? <Chip size="small" color="info" label={`Paused${hidden ? ` · ${hidden} newer not shown` : ''}`} /> : null}
          </Stack>
          <StreamErrorAlert status={stream} what="The live feed" />
          <TableContainer sx={{ maxHeight: '60vh', width: 0, minWidth: '100%' }}>
            <Table size="small" stickyHeader aria-label="Live deliveries" data-testid="live-feed" data-count={shown.length}>
              <TableHead>
                <TableRow>
                  <TableCell>Time</TableCell>
                  <TableCell>Application</TableCell>
                  <TableCell>Endpoint</TableCell>
                  <TableCell>Message</TableCell>
                  <TableCell>Event type</TableCell>
                  <TableCell>Status</TableCell>
                  <TableCell align="right">Response</TableCell>
                  <TableCell align="right">Duration</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {shown.length === 0 ? (
                  <TableRow>
                    <TableCell colSpan={8} align="center" sx={{ py: 4, color: 'text.secondary' }} data-testid="live-empty">
                      {emptyText(stream.state, status, rows.length)}
                    </TableCell>
                  </TableRow>
                ) : (
                  shown.map((row) => <FeedRow key={row.id} attempt={row} appName={appNames.get(row.appId)} />)
                )}
              </TableBody>
            </Table>
          </TableContainer>
        </CardContent>
      </Card>
      <LiveSectionBoundary name="Endpoint health">
        {appId ? (
          <EndpointHealthTiles appId={appId} />
        ) : (
          <SeenEndpointTiles seen={seen.current} version={seenVersion} appNames={appNames} />
        )}
      </LiveSectionBoundary>
    </Stack>
  );
}

function emptyText(state: string, status: StatusFilter, total: number): string {
  if (state === 'error') return 'The live feed stopped; see the message above.';
  if (state === 'connecting') return 'Connecting to the live feed…';
  if (total > 0 && status !== 'all') return `Waiting for ${status} deliveries… (${total} other attempts received)`;
  return 'Waiting for deliveries…';
}

const FeedRow = memo(function FeedRow({ attempt, appName }: { attempt: AttemptEvent; appName: string | undefined }) {
  const outcome = attemptOutcome(attempt);
  return (
    <TableRow
      hover
      data-testid="live-row"
      data-status={outcome}
      data-endpoint-id={attempt.endpointId}
      data-message-id={attempt.msgId}
      data-app-id={attempt.appId}
      data-attempt-id={attempt.id}
      data-seq={attempt.seq}
      sx={{ animation: `${flash} 1.5s ease-out` }}
    >
      <TableCell sx={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }} title={attempt.timestamp}>
        {formatTime(attempt.timestamp)}
      </TableCell>
      <TableCell sx={{ maxWidth: 160 }} title={attempt.appId}>
        <Typography variant="body2" noWrap>
          {appName ?? attempt.appId}
        </Typography>
      </TableCell>
      <TableCell sx={{ maxWidth: 280 }}>
        <Tooltip title={`${attempt.url} (${attempt.endpointId})`}>
          <Typography variant="body2" noWrap sx={{ fontFamily: 'monospace' }}>
            {attempt.url}
          </Typography>
        </Tooltip>
      </TableCell>
      <TableCell sx={{ fontFamily: 'monospace', whiteSpace: 'nowrap' }}>{attempt.msgId}</TableCell>
      <TableCell>{attempt.eventType ?? '—'}</TableCell>
      <TableCell sx={{ whiteSpace: 'nowrap' }}>
        <OutcomeChip outcome={outcome} />
        {attempt.triggerType === 1 ? <Chip size="small" variant="outlined" label="manual" sx={{ ml: 0.5 }} /> : null}
      </TableCell>
      <TableCell align="right" sx={{ fontVariantNumeric: 'tabular-nums' }} data-testid="live-row-code">
        {attempt.responseStatusCode || <span title="No HTTP response (connection error or timeout)">—</span>}
      </TableCell>
      <TableCell align="right" sx={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}>
        {formatMs(attempt.responseDurationMs)}
      </TableCell>
    </TableRow>
  );
});

function trackSeen(seen: Map<string, SeenEndpoint>, batch: AttemptEvent[]) {
  for (const attempt of batch) {
    let entry = seen.get(attempt.endpointId);
    if (entry) {
      // Re-inserted: Map order is then least recently seen first.
      seen.delete(attempt.endpointId);
    } else {
      entry = { endpointId: attempt.endpointId, appId: attempt.appId, url: attempt.url, samples: [], last: attempt };
    }
    entry.samples.push({ ok: attemptOutcome(attempt) === 'succeeded', ms: attempt.responseDurationMs });
    if (entry.samples.length > SEEN_SAMPLES) entry.samples.splice(0, entry.samples.length - SEEN_SAMPLES);
    entry.last = attempt;
    entry.url = attempt.url;
    seen.set(attempt.endpointId, entry);
  }
  while (seen.size > SEEN_ENDPOINTS_LIMIT) {
    const oldest = seen.keys().next().value;
    if (oldest === undefined) break;
    seen.delete(oldest);
  }
}

/** Without an application selected: tiles of the endpoints seen in the feed, from the attempts seen. */
function SeenEndpointTiles(props: { seen: Map<string, SeenEndpoint>; version: number; appNames: Map<string, string> }) {
  const { seen, version, appNames } = props;
  // Shown in order of first appearance among those kept, so tiles do not jump with each attempt.
  const firstSeen = useRef(new Map<string, number>());
  const tiles = useMemo(() => {
    void version;
    let next = firstSeen.current.size;
    for (const id of seen.keys()) if (!firstSeen.current.has(id)) firstSeen.current.set(id, next++);
    for (const id of firstSeen.current.keys()) if (!seen.has(id)) firstSeen.current.delete(id);
    return [...seen.values()]
      .sort((a, b) => (firstSeen.current.get(a.endpointId) ?? 0) - (firstSeen.current.get(b.endpointId) ?? 0))
      .map((entry): TileModel => {
        const succeeded = entry.samples.filter((s) => s.ok).length;
        const durations = entry.samples.map((s) => s.ms);
        return {
          endpointId: entry.endpointId,
          url: entry.url,
          description: `${appNames.get(entry.appId) ?? entry.appId} · ${entry.endpointId}`,
          successRate: entry.samples.length ? succeeded / entry.samples.length : null,
          attempts: entry.samples.length,
          succeeded,
          windowLabel: entry.samples.length === SEEN_SAMPLES ? `last ${SEEN_SAMPLES} seen` : 'since this page opened',
          p50: quantile(durations, 0.5),
          p99: quantile(durations, 0.99),
          last: entry.last,
        };
      });
  }, [seen, version, appNames]);

  return (
    <Box data-testid="endpoint-health">
      <Stack direction="row" spacing={1} sx={{ mb: 1, alignItems: 'center' }}>
        <Typography variant="subtitle1" component="h2">
          Endpoint health
        </Typography>
        <Typography variant="caption" color="text.secondary">
          endpoints seen in the feed; select an application for its full statistics
        </Typography>
      </Stack>
      {tiles.length === 0 ? (
        <Typography color="text.secondary" data-testid="health-tiles-empty">
          Waiting for deliveries…
        </Typography>
      ) : (
        <TileGrid label="Endpoint health">
          {tiles.map((tile) => (
            <HealthTile key={tile.endpointId} tile={tile} />
          ))}
        </TileGrid>
      )}
    </Box>
  );
}

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
  ToggleButton,
  ToggleButtonGroup,
  Typography,
} from '@mui/material';
import { keyframes } from '@mui/material/styles';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { Title } from 'react-admin';
import { isPortalMode } from '../api';
import { EndpointLabel, endpointName } from '../components/endpointName';
import { useCurrentAppId } from '../currentApp';
import { type AttemptEvent, type AttemptOutcome, attemptOutcome, useAttemptStream } from './attempts';
import {
  type ApplicationSummary,
  type EndpointAttention,
  type EndpointSummary,
  listApplications,
  listEndpointsNeedingAttention,
  useEndpointDirectory,
} from './data';
import { EndpointHealthTiles } from './EndpointHealthTiles';
import { compareHealth, HealthTile, TileGrid, type TileModel } from './HealthTile';
import { useThrottledTask } from './hooks';
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
  const currentAppId = useCurrentAppId();
  // The application itself is chosen with the app bar's picker (the only one); here only whether to narrow to it.
  const [scope, setScope] = useState<'all' | 'current'>('all');
  const appId = portal || scope === 'current' ? (currentAppId ?? '') : '';
  const [status, setStatus] = useState<StatusFilter>('all');
  const [paused, setPaused] = useState(false);
  const [apps, setApps] = useState<ApplicationSummary[] | null>(null);
  const [appsError, setAppsError] = useState<string | null>(null);

  const loadApps = async () => {
    if (portal) return;
    try {
      setApps((await listApplications()).items);
      setAppsError(null);
    } catch (error) {
      setAppsError(describeError(error));
    }
  };
  // An application created since the list was read shows up in the feed: read the names again (at most every 10 s).
  const refreshApps = useThrottledTask(loadApps, { intervalMs: 10_000, leadMs: 0 });
  // biome-ignore lint/correctness/useExhaustiveDependencies: once on open; later reads go through the throttle
  useEffect(() => {
    void loadApps();
  }, []);
  const appNames = useMemo(() => new Map((apps ?? []).map((a) => [a.id, a.name])), [apps]);
  const currentName = currentAppId ? (appNames.get(currentAppId) ?? (apps ?? []).find((a) => a.uid === currentAppId)?.name) : undefined;

  return (
    <Box sx={{ p: { xs: 1, md: 2 }, minWidth: 0, maxWidth: '100%', boxSizing: 'border-box' }} data-testid="live-feed-page">
      <Title title="Live deliveries" />
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} sx={{ mb: 2, alignItems: { md: 'center' } }}>
        <Typography variant="h6" component="h1" sx={{ flex: 1, whiteSpace: 'nowrap' }}>
          Live deliveries
        </Typography>
        {portal ? null : (
          <ToggleButtonGroup
            size="small"
            exclusive
            value={scope}
            onChange={(_, value: 'all' | 'current' | null) => value && setScope(value)}
            aria-label="Show deliveries of"
            data-testid="live-scope"
          >
            <ToggleButton value="all" data-testid="live-scope-all">
              All applications
            </ToggleButton>
            <ToggleButton value="current" disabled={!currentAppId} data-testid="live-scope-current" sx={{ maxWidth: 260 }}>
              <Box component="span" sx={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                Only {currentName ?? currentAppId ?? 'the current application'}
              </Box>
            </ToggleButton>
          </ToggleButtonGroup>
        )}
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
      {appsError ? (
        <Typography variant="caption" color="error" component="p" sx={{ mb: 1 }}>
          Applications could not be listed: {appsError}
        </Typography>
      ) : null}
      {/* Keyed by application: a new scope is a new stream, opening with that scope's recent history. */}
      <FeedAndTiles
        key={appId}
        appId={appId}
        status={status}
        paused={paused}
        appNames={portal || apps === null ? null : appNames}
        onUnknownApp={refreshApps}
      />
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

const NO_NAMES = new Map<string, string>();

/** The newest attempts the feed opens with, so it is not empty until the next delivery. */
const HISTORY = FEED_LIMIT;

function FeedAndTiles(props: {
  appId: string;
  status: StatusFilter;
  paused: boolean;
  /** Null while unknown (or in portal mode, which has one application). */
  appNames: Map<string, string> | null;
  onUnknownApp: () => void;
}) {
  const { appId, status, paused, onUnknownApp } = props;
  const appNames = props.appNames ?? NO_NAMES;
  // Every attempt received (newest first, capped), whatever the status filter; filtered when shown.
  const [rows, setRows] = useState<AttemptEvent[]>([]);
  const [frozen, setFrozen] = useState<AttemptEvent[] | null>(null);
  const [received, setReceived] = useState(0);
  const seen = useRef(new Map<string, SeenEndpoint>());
  const [seenVersion, setSeenVersion] = useState(0);

  const stream = useAttemptStream(appId ? { appId, history: HISTORY } : { history: HISTORY }, (batch) => {
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
  const endpoints = useEndpointDirectory(rows);
  const unknownApp = props.appNames !== null && rows.some((row) => !props.appNames?.has(row.appId));
  useEffect(() => {
    if (unknownApp) onUnknownApp();
  }, [unknownApp, onUnknownApp]);
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
                  <TableCell align="right" data-testid="live-duration-header">
                    Duration
                  </TableCell>
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
                  shown.map((row) => (
                    <FeedRow key={row.id} attempt={row} appName={appNames.get(row.appId)} endpoint={endpoints.get(row.endpointId)} />
                  ))
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
          <SeenEndpointTiles seen={seen.current} version={seenVersion} appNames={appNames} endpoints={endpoints} />
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

/** A dotted name (`invoice.paid`) that may wrap after a dot, never inside a word. */
function BreakAtDots({ text }: { text: string }) {
  const parts = text.split('.');
  return (
    <>
      {parts.map((part, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed string, in order
        <span key={i}>
          {part}
          {i < parts.length - 1 ? (
            <>
              .<wbr />
            </>
          ) : null}
        </span>
      ))}
    </>
  );
}

/** `msg_` and the last characters: enough to tell rows apart; the whole id is in the title. */
const shortMessageId = (id: string) => (id.length > 14 ? `${id.slice(0, 4)}…${id.slice(-8)}` : id);

const FeedRow = memo(function FeedRow(props: {
  attempt: AttemptEvent;
  appName: string | undefined;
  endpoint: EndpointSummary | undefined;
}) {
  const { attempt, appName, endpoint } = props;
  const outcome = attemptOutcome(attempt);
  return (
    <TableRow
      hover
      data-testid="live-row"
      data-status={outcome}
      data-final={attempt.final ? 'true' : undefined}
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
      <TableCell sx={{ maxWidth: 140 }} title={attempt.appId}>
        <Typography variant="body2" noWrap>
          {appName ?? attempt.appId}
        </Typography>
      </TableCell>
      <TableCell sx={{ maxWidth: 280 }} title={`${attempt.url} (${attempt.endpointId})`}>
        <EndpointLabel
          name={endpoint ? endpointName(endpoint) : attempt.endpointId}
          destination={attempt.url}
          max={30}
          dense
          testId="live-row-endpoint"
        />
      </TableCell>
      <TableCell sx={{ fontFamily: 'monospace', whiteSpace: 'nowrap' }} title={attempt.msgId}>
        {shortMessageId(attempt.msgId)}
      </TableCell>
      <TableCell>{attempt.eventType ? <BreakAtDots text={attempt.eventType} /> : '—'}</TableCell>
      <TableCell>
        <OutcomeChip outcome={outcome} final={attempt.final} />
        {attempt.triggerType === 1 ? <Chip size="small" variant="outlined" label="manual" sx={{ ml: 0.5 }} /> : null}
      </TableCell>
      <TableCell align="right" sx={{ fontVariantNumeric: 'tabular-nums' }} data-testid="live-row-code">
        {attempt.responseStatusCode || <span title="No HTTP response (connection error or timeout)">—</span>}
      </TableCell>
      <TableCell align="right" sx={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }} data-testid="live-row-duration">
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
  // Over the limit: forget the least recently seen endpoint whose last attempt succeeded; a failing
  // one goes only when nothing else can, so a busy healthy endpoint cannot push it off the screen.
  while (seen.size > SEEN_ENDPOINTS_LIMIT) {
    let drop: string | undefined;
    for (const [id, entry] of seen) {
      if (attemptOutcome(entry.last) !== 'failed') {
        drop = id;
        break;
      }
    }
    drop ??= seen.keys().next().value;
    if (drop === undefined) break;
    seen.delete(drop);
  }
}

/** How often the organization's failing endpoints are re-read while the page is open (and after failures, at most every 5 s). */
const ATTENTION_EVERY_MS = 15_000;

/**
 * Without an application selected: tiles of the endpoints seen in the feed,
 * from the attempts seen, plus every endpoint of the organization that is
 * failing right now (`GET /stats/endpoint-health`). Those stay on screen while
 * they fail even when no attempt reaches the feed: an open circuit sends
 * nothing, which is exactly when an operator needs to see it.
 */
function SeenEndpointTiles(props: {
  seen: Map<string, SeenEndpoint>;
  version: number;
  appNames: Map<string, string>;
  endpoints: Map<string, EndpointSummary>;
}) {
  const { seen, version, appNames, endpoints } = props;
  const [attention, setAttention] = useState<EndpointAttention[]>([]);
  const [attentionError, setAttentionError] = useState<string | null>(null);
  const loadAttention = async () => {
    try {
      setAttention(await listEndpointsNeedingAttention());
      setAttentionError(null);
    } catch (failure) {
      setAttentionError(describeError(failure));
    }
  };
  const refreshAttention = useThrottledTask(loadAttention, { intervalMs: 5000, everyMs: ATTENTION_EVERY_MS });
  // biome-ignore lint/correctness/useExhaustiveDependencies: once on open; later reads go through the throttle
  useEffect(() => {
    void loadAttention();
  }, []);
  // A failure seen in the feed may have opened a circuit: look again soon.
  const lastFailures = useRef(0);
  useEffect(() => {
    void version;
    const failures = [...seen.values()].filter((entry) => attemptOutcome(entry.last) === 'failed').length;
    if (failures !== lastFailures.current || failures > 0) refreshAttention();
    lastFailures.current = failures;
  }, [seen, version, refreshAttention]);

  // Shown failing first (decided when an endpoint first appears), then in order of first appearance, so tiles do not jump with each attempt.
  const firstSeen = useRef(new Map<string, number>());
  const tiles = useMemo(() => {
    void version;
    const models = new Map<string, TileModel>();
    for (const item of attention) {
      const known = endpoints.get(item.endpointId);
      models.set(item.endpointId, {
        endpointId: item.endpointId,
        url: item.url,
        name: endpointName({ id: item.endpointId, description: item.description, uid: item.uid ?? known?.uid }),
        description: `${appNames.get(item.appId) ?? item.appId} · ${item.endpointId}`,
        type: item.type,
        successRate: null,
        attempts: 0,
        succeeded: 0,
        windowLabel: 'since this page opened',
        p50: null,
        p99: null,
        disabled: item.disabled,
        circuitOpenUntil: item.health.circuitOpenUntil,
        consecutiveFailures: item.health.consecutiveFailures,
        failing: true,
      });
    }
    for (const entry of seen.values()) {
      const succeeded = entry.samples.filter((s) => s.ok).length;
      const durations = entry.samples.map((s) => s.ms);
      const known = endpoints.get(entry.endpointId);
      const flagged = models.get(entry.endpointId);
      models.set(entry.endpointId, {
        ...flagged,
        endpointId: entry.endpointId,
        url: entry.url,
        name: flagged?.name ?? (known ? endpointName(known) : entry.endpointId),
        description: `${appNames.get(entry.appId) ?? entry.appId} · ${entry.endpointId}`,
        successRate: entry.samples.length ? succeeded / entry.samples.length : null,
        attempts: entry.samples.length,
        succeeded,
        windowLabel: entry.samples.length === SEEN_SAMPLES ? `last ${SEEN_SAMPLES} seen` : 'seen in the feed',
        p50: quantile(durations, 0.5),
        p99: quantile(durations, 0.99),
        last: entry.last,
      });
    }
    const order = firstSeen.current;
    const fresh = [...models.values()].filter((tile) => !order.has(tile.endpointId)).sort(compareHealth);
    let next = order.size === 0 ? 0 : Math.max(...order.values()) + 1;
    for (const tile of fresh) order.set(tile.endpointId, next++);
    for (const id of [...order.keys()]) if (!models.has(id)) order.delete(id);
    return [...models.values()].sort((a, b) => (order.get(a.endpointId) ?? 0) - (order.get(b.endpointId) ?? 0));
  }, [seen, version, appNames, attention, endpoints]);

  return (
    <Box data-testid="endpoint-health">
      <Stack direction="row" spacing={1} sx={{ mb: 1, alignItems: 'center' }}>
        <Typography variant="subtitle1" component="h2">
          Endpoint health
        </Typography>
        <Typography variant="caption" color="text.secondary">
          endpoints failing now and those seen in the feed; narrow to one application for its full statistics
        </Typography>
      </Stack>
      {attentionError ? (
        <Typography variant="caption" color="error" component="p" data-testid="health-tiles-error">
          Failing endpoints could not be listed: {attentionError}
        </Typography>
      ) : null}
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

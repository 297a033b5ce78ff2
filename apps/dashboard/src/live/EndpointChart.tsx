import { Alert, Box, Card, CardContent, LinearProgress, Stack, ToggleButton, ToggleButtonGroup, Typography } from '@mui/material';
import { useCallback, useEffect, useRef, useState } from 'react';
import { attemptOutcome, useAttemptStream } from './attempts';
import { type AppStats, BUCKET_MS, type DeliveryStats, fetchAppStats, type StatsBucketSize } from './data';
import { useThrottledTask } from './hooks';
import { ConnectionChip, describeError, formatMs, formatRate, quantile, rateColor, StreamErrorAlert } from './ui';

type Range = '1h' | '24h';
const RANGES: Record<Range, { bucket: StatsBucketSize; count: number; label: string }> = {
  '1h': { bucket: 'minute', count: 60, label: 'last hour, per minute' },
  '24h': { bucket: 'hour', count: 24, label: 'last 24 hours, per hour' },
};
/** Live latency samples kept per bucket (for the latency the stats API does not split by bucket). */
const SAMPLES_PER_BUCKET = 1000;

interface Counts {
  succeeded: number;
  failed: number;
}

interface Point {
  start: number;
  succeeded: number;
  failed: number;
  rate: number | null;
  p50: number | null;
  p99: number | null;
}

/**
 * An endpoint's success rate and latency over time: the buckets of
 * `GET /app/{app_id}/stats`, with attempts from the stream added to their
 * bucket as they come and a refetch at most every 10 s while they do. The
 * stats API gives p50/p99 for the whole window; per bucket it is used when the
 * API reports it, and otherwise computed from the attempts streamed since the
 * chart opened.
 */
export function EndpointChart({ appId, endpointId }: { appId: string; endpointId: string }) {
  const [range, setRange] = useState<Range>('1h');
  return (
    <Card variant="outlined" data-testid="endpoint-chart" data-app-id={appId} data-endpoint-id={endpointId} data-range={range}>
      <CardContent>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1, flexWrap: 'wrap' }}>
          <Typography variant="subtitle1" component="h2" sx={{ flex: 1 }}>
            Deliveries over time
          </Typography>
          <ToggleButtonGroup
            size="small"
            exclusive
            value={range}
            onChange={(_, value: Range | null) => value && setRange(value)}
            aria-label="Chart range"
          >
            <ToggleButton value="1h" data-testid="endpoint-chart-range-1h">
              1 h
            </ToggleButton>
            <ToggleButton value="24h" data-testid="endpoint-chart-range-24h">
              24 h
            </ToggleButton>
          </ToggleButtonGroup>
        </Stack>
        <ChartBody key={`${appId}\n${endpointId}\n${range}`} appId={appId} endpointId={endpointId} range={range} />
      </CardContent>
    </Card>
  );
}

function ChartBody({ appId, endpointId, range }: { appId: string; endpointId: string; range: Range }) {
  const { bucket, count, label } = RANGES[range];
  const size = BUCKET_MS[bucket];
  const [stats, setStats] = useState<(DeliveryStats & { endpointId: string }) | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [, setVersion] = useState(0);
  const deltas = useRef(new Map<number, Counts>());
  const inFlight = useRef<Map<number, Counts> | null>(null);
  const samples = useRef(new Map<number, number[]>());

  const load = useCallback(async () => {
    const sent = deltas.current;
    inFlight.current = sent;
    deltas.current = new Map();
    try {
      const all: AppStats = await fetchAppStats(appId, bucket, count * size);
      setStats(all.endpoints.find((e) => e.endpointId === endpointId || e.uid === endpointId) ?? null);
      setError(null);
    } catch (failure) {
      for (const [start, counts] of sent) addCounts(deltas.current, start, counts);
      setError(`Could not load the statistics: ${describeError(failure)}`);
      setStats((current) => current ?? null);
    } finally {
      inFlight.current = null;
      setNow(Date.now());
    }
  }, [appId, endpointId, bucket, count, size]);

  const refresh = useThrottledTask(load, { intervalMs: 10_000, everyMs: bucket === 'minute' ? 60_000 : 300_000 });
  useEffect(() => {
    void load();
  }, [load]);
  // Slides the window even when nothing happens.
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);

  const stream = useAttemptStream({ appId, endpointId }, (batch) => {
    for (const attempt of batch) {
      const start = Math.floor(Date.parse(attempt.timestamp) / size) * size;
      if (!Number.isFinite(start)) continue;
      const ok = attemptOutcome(attempt) === 'succeeded';
      addCounts(deltas.current, start, { succeeded: ok ? 1 : 0, failed: ok ? 0 : 1 });
      const list = samples.current.get(start) ?? [];
      if (list.length < SAMPLES_PER_BUCKET) list.push(attempt.responseDurationMs);
      samples.current.set(start, list);
    }
    const oldest = Math.floor(Date.now() / size) * size - count * size;
    for (const start of samples.current.keys()) if (start < oldest) samples.current.delete(start);
    refresh();
    setNow(Date.now());
    setVersion((v) => v + 1);
  });

  const points = buildPoints(stats, now, size, count, deltas.current, inFlight.current, samples.current);
  const attempts = points.reduce((sum, p) => sum + p.succeeded + p.failed, 0);
  const latencyFromStream = !stats?.buckets.some((b) => typeof b.p50DurationMs === 'number');

  return (
    <Box data-testid="endpoint-chart-body" data-buckets={points.length} data-attempts={attempts}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', mb: 1, flexWrap: 'wrap' }}>
        <Typography variant="caption" color="text.secondary">
          {label}
        </Typography>
        {stats ? (
          <Typography variant="body2" data-testid="endpoint-chart-summary">
            Success <strong style={{ color: rateColor(stats.successRate) }}>{formatRate(stats.successRate)}</strong> · p50{' '}
            {formatMs(stats.p50DurationMs)} · p99 {formatMs(stats.p99DurationMs)} · backlog {stats.backlog.toLocaleString()}
          </Typography>
        ) : null}
        <Box sx={{ flex: 1 }} />
        <ConnectionChip status={stream} testId="chart-connection" label="Chart updates" />
      </Stack>
      <StreamErrorAlert status={stream} what="Live chart updates" />
      {error ? (
        <Alert severity="warning" sx={{ mb: 1 }}>
          {error}
        </Alert>
      ) : null}
      {stats === undefined ? (
        <LinearProgress aria-label="Loading statistics" />
      ) : stats === null && !error ? (
        <Alert severity="info">This endpoint has no statistics in this application (was it deleted?).</Alert>
      ) : (
        <>
          <SuccessChart points={points} />
          <LatencyChart points={points} windowP50={stats?.p50DurationMs ?? null} windowP99={stats?.p99DurationMs ?? null} />
          <Typography variant="caption" color="text.secondary" component="p">
            {attempts === 0
              ? 'No attempts in this range yet. Waiting for deliveries…'
              : latencyFromStream
                ? 'Latency per bucket comes from the attempts received since this chart opened; dashed lines are the p50/p99 of the whole range.'
                : 'Dashed lines are the p50/p99 of the whole range.'}
          </Typography>
        </>
      )}
    </Box>
  );
}

function addCounts(map: Map<number, Counts>, start: number, counts: Counts) {
  const current = map.get(start) ?? { succeeded: 0, failed: 0 };
  map.set(start, { succeeded: current.succeeded + counts.succeeded, failed: current.failed + counts.failed });
}

function buildPoints(
  stats: DeliveryStats | null | undefined,
  now: number,
  size: number,
  count: number,
  deltas: Map<number, Counts>,
  inFlight: Map<number, Counts> | null,
  samples: Map<number, number[]>,
): Point[] {
  const last = Math.floor(now / size) * size;
  const fromStats = new Map((stats?.buckets ?? []).map((b) => [Date.parse(b.start), b]));
  return Array.from({ length: count }, (_, i) => {
    const start = last - (count - 1 - i) * size;
    const bucket = fromStats.get(start);
    let succeeded = bucket?.succeeded ?? 0;
    let failed = bucket?.failed ?? 0;
    for (const extra of [deltas.get(start), inFlight?.get(start)]) {
      if (!extra) continue;
      succeeded += extra.succeeded;
      failed += extra.failed;
    }
    const live = samples.get(start) ?? [];
    const p50 = typeof bucket?.p50DurationMs === 'number' ? bucket.p50DurationMs : quantile(live, 0.5);
    const p99 = typeof bucket?.p99DurationMs === 'number' ? bucket.p99DurationMs : quantile(live, 0.99);
    const total = succeeded + failed;
    return { start, succeeded, failed, rate: total > 0 ? succeeded / total : null, p50, p99 };
  });
}

// Chart geometry (SVG user units; the SVG scales to the card's width).
const W = 720;
const H = 150;
const PAD = { left: 48, right: 12, top: 10, bottom: 22 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

function x(i: number, n: number) {
  return PAD.left + (i + 0.5) * (PLOT_W / n);
}

function timeLabel(ms: number) {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
}

function XAxis({ points }: { points: Point[] }) {
  const n = points.length;
  const ticks = [0, Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4), n - 1];
  return (
    <g fontSize="10" fill="#757575">
      {ticks.map((i) => {
        const point = points[i];
        return point ? (
          <text key={i} x={x(i, n)} y={H - 6} textAnchor="middle">
            {timeLabel(point.start)}
          </text>
        ) : null;
      })}
    </g>
  );
}

/** A polyline through the points that have a value, broken where one has none. */
function segments(values: (number | null)[], y: (v: number) => number): string[] {
  const out: string[] = [];
  let current: string[] = [];
  values.forEach((value, i) => {
    if (value === null) {
      if (current.length) out.push(current.join(' '));
      current = [];
      return;
    }
    current.push(`${x(i, values.length).toFixed(1)},${y(value).toFixed(1)}`);
  });
  if (current.length) out.push(current.join(' '));
  return out;
}

function describePoint(point: Point) {
  return `${timeLabel(point.start)}: ${point.succeeded} succeeded, ${point.failed} failed, success ${formatRate(point.rate)}, p50 ${formatMs(point.p50)}, p99 ${formatMs(point.p99)}`;
}

/** Lower ends the success-rate axis may start at, highest first. */
const RATE_FLOORS = [0.95, 0.9, 0.75, 0.5, 0];

/**
 * Where the success-rate axis starts: just below the lowest rate shown, so
 * 97 % and 100 % are told apart instead of both hugging the top of a 0-100 %
 * axis; 0 % once something fell below half.
 */
export function rateAxisFloor(rates: readonly (number | null)[]): number {
  const present = rates.filter((rate): rate is number => rate !== null);
  if (present.length === 0) return 0;
  const lowest = Math.min(...present);
  return RATE_FLOORS.find((floor) => floor <= lowest - 0.01) ?? 0;
}

function SuccessChart({ points }: { points: Point[] }) {
  const n = points.length;
  const maxTotal = Math.max(1, ...points.map((p) => p.succeeded + p.failed));
  const barW = Math.max(1, (PLOT_W / n) * 0.7);
  const floor = rateAxisFloor(points.map((p) => p.rate));
  const yRate = (rate: number) => PAD.top + (1 - (Math.max(rate, floor) - floor) / (1 - floor)) * PLOT_H;
  const ticks = [floor, (floor + 1) / 2, 1];
  const rates = points.map((p) => p.rate);
  const latest = [...points].reverse().find((p) => p.rate !== null);
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="img"
      aria-label={`Success rate per bucket; latest ${latest ? formatRate(latest.rate) : 'none'}; bars are attempts (most ${maxTotal})`}
      data-testid="endpoint-chart-success"
      data-rate-floor={floor}
      style={{ display: 'block' }}
    >
      {ticks.map((r) => (
        <g key={r}>
          <line x1={PAD.left} x2={W - PAD.right} y1={yRate(r)} y2={yRate(r)} stroke="#e0e0e0" />
          <text x={PAD.left - 6} y={yRate(r) + 3} fontSize="10" fill="#757575" textAnchor="end" data-testid="endpoint-chart-rate-tick">
            {Number((r * 100).toFixed(1))}%
          </text>
        </g>
      ))}
      {points.map((p, i) => {
        const total = p.succeeded + p.failed;
        if (total === 0) return null;
        const hOk = (p.succeeded / maxTotal) * PLOT_H * 0.5;
        const hFail = (p.failed / maxTotal) * PLOT_H * 0.5;
        const left = x(i, n) - barW / 2;
        const bottom = PAD.top + PLOT_H;
        return (
          <g key={p.start} opacity={0.35}>
            <rect x={left} y={bottom - hOk} width={barW} height={hOk} fill="#2e7d32" />
            <rect x={left} y={bottom - hOk - hFail} width={barW} height={hFail} fill="#d32f2f" />
          </g>
        );
      })}
      {segments(rates, yRate).map((d) => (
        <polyline key={d} points={d} fill="none" stroke="#1565c0" strokeWidth={2} />
      ))}
      {points.map((p, i) =>
        p.rate === null ? null : <circle key={p.start} cx={x(i, n)} cy={yRate(p.rate)} r={2.5} fill={rateColor(p.rate)} />,
      )}
      <HoverTargets points={points} />
      <XAxis points={points} />
    </svg>
  );
}

function niceCeiling(value: number): number {
  if (value <= 0) return 100;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function LatencyChart(props: { points: Point[]; windowP50: number | null; windowP99: number | null }) {
  const { points, windowP50, windowP99 } = props;
  const n = points.length;
  const top = niceCeiling(Math.max(0, ...points.flatMap((p) => [p.p99 ?? 0, p.p50 ?? 0]), windowP99 ?? 0, windowP50 ?? 0));
  const y = (ms: number) => PAD.top + (1 - Math.min(ms, top) / top) * PLOT_H;
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="img"
      aria-label={`Latency per bucket: p50 (blue) and p99 (purple); range p50 ${formatMs(windowP50)}, p99 ${formatMs(windowP99)}`}
      data-testid="endpoint-chart-latency"
      style={{ display: 'block', marginTop: 8 }}
    >
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(top * f)} y2={y(top * f)} stroke="#e0e0e0" />
          <text x={PAD.left - 6} y={y(top * f) + 3} fontSize="10" fill="#757575" textAnchor="end">
            {formatMs(top * f)}
          </text>
        </g>
      ))}
      {windowP50 !== null ? (
        <line x1={PAD.left} x2={W - PAD.right} y1={y(windowP50)} y2={y(windowP50)} stroke="#1565c0" strokeDasharray="4 4" opacity={0.6} />
      ) : null}
      {windowP99 !== null ? (
        <line x1={PAD.left} x2={W - PAD.right} y1={y(windowP99)} y2={y(windowP99)} stroke="#6a1b9a" strokeDasharray="4 4" opacity={0.6} />
      ) : null}
      {segments(
        points.map((p) => p.p99),
        y,
      ).map((d) => (
        <polyline key={`p99 ${d}`} points={d} fill="none" stroke="#6a1b9a" strokeWidth={2} />
      ))}
      {segments(
        points.map((p) => p.p50),
        y,
      ).map((d) => (
        <polyline key={`p50 ${d}`} points={d} fill="none" stroke="#1565c0" strokeWidth={2} />
      ))}
      {points.map((p, i) => (p.p99 === null ? null : <circle key={`p99 ${p.start}`} cx={x(i, n)} cy={y(p.p99)} r={2} fill="#6a1b9a" />))}
      {points.map((p, i) => (p.p50 === null ? null : <circle key={`p50 ${p.start}`} cx={x(i, n)} cy={y(p.p50)} r={2} fill="#1565c0" />))}
      <text x={W - PAD.right} y={PAD.top + 8} fontSize="10" textAnchor="end" fill="#757575">
        <tspan fill="#1565c0">— p50</tspan> <tspan fill="#6a1b9a">— p99</tspan>
      </text>
      <HoverTargets points={points} />
      <XAxis points={points} />
    </svg>
  );
}

/** Invisible columns with a native tooltip (`<title>`) per bucket. */
function HoverTargets({ points }: { points: Point[] }) {
  const n = points.length;
  const w = PLOT_W / n;
  return (
    <g>
      {points.map((p, i) => (
        <rect key={p.start} x={PAD.left + i * w} y={PAD.top} width={w} height={PLOT_H} fill="transparent">
          <title>{describePoint(p)}</title>
        </rect>
      ))}
    </g>
  );
}

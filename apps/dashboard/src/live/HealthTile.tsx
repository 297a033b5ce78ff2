import { Box, Card, CardContent, Chip, Stack, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { EndpointLabel } from '../components/endpointName';
import { type AttemptEvent, attemptOutcome } from './attempts';
import { formatMs, formatRate, formatTime, OutcomeChip, rateColor } from './ui';

export interface TileModel {
  endpointId: string;
  url: string;
  /** What the endpoint is called: description, else uid, else id. */
  name?: string | undefined;
  description?: string | undefined;
  type?: string | undefined;
  successRate: number | null;
  attempts: number;
  /** Of `attempts`, how many succeeded. */
  succeeded: number;
  /** What the success rate covers, e.g. "last hour" or "last 200 attempts". */
  windowLabel: string;
  p50: number | null;
  p99: number | null;
  /** Undefined when unknown (endpoints only seen in the feed). */
  backlog?: number | undefined;
  disabled?: boolean | undefined;
  circuitOpenUntil?: string | null | undefined;
  consecutiveFailures?: number | undefined;
  /** Listed by the API as failing now (failures in a row, open circuit). */
  failing?: boolean | undefined;
  last?: AttemptEvent | undefined;
}

export type TileHealth = 'healthy' | 'degraded' | 'failing' | 'disabled' | 'unknown';

export function tileHealth(tile: TileModel): TileHealth {
  if (tile.disabled) return 'disabled';
  if (tile.circuitOpenUntil && Date.parse(tile.circuitOpenUntil) > Date.now()) return 'failing';
  if (tile.failing && (!tile.last || attemptOutcome(tile.last) === 'failed')) return 'failing';
  if (tile.successRate === null) return tile.last ? (attemptOutcome(tile.last) === 'failed' ? 'failing' : 'healthy') : 'unknown';
  if (tile.successRate >= 0.99) return 'healthy';
  if (tile.successRate >= 0.9) return 'degraded';
  return 'failing';
}

const HEALTH_ORDER: Record<TileHealth, number> = { failing: 0, degraded: 1, healthy: 2, unknown: 3, disabled: 4 };

/** Failing first, disabled last; stable otherwise. */
export function compareHealth(a: TileModel, b: TileModel): number {
  return HEALTH_ORDER[tileHealth(a)] - HEALTH_ORDER[tileHealth(b)];
}

const BORDER: Record<TileHealth, string> = {
  healthy: rateColor(1),
  degraded: rateColor(0.95),
  failing: rateColor(0),
  disabled: '#616161',
  unknown: rateColor(null),
};

function Metric({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Box sx={{ minWidth: 0 }}>
      <Typography variant="caption" color="text.secondary" component="div">
        {label}
      </Typography>
      <Typography variant="body2" component="div" data-testid={testId} sx={{ fontVariantNumeric: 'tabular-nums' }}>
        {value}
      </Typography>
    </Box>
  );
}

export function HealthTile({ tile }: { tile: TileModel }) {
  const health = tileHealth(tile);
  const circuitOpen = tile.circuitOpenUntil && Date.parse(tile.circuitOpenUntil) > Date.now();
  const lastOutcome = tile.last ? attemptOutcome(tile.last) : undefined;
  return (
    <Card
      variant="outlined"
      component="section"
      aria-label={`Endpoint ${tile.name ?? tile.url}: ${health}`}
      data-testid="health-tile"
      data-endpoint-id={tile.endpointId}
      data-health={health}
      data-last-status={lastOutcome ?? ''}
      sx={{ borderLeft: `4px solid ${BORDER[health]}`, minWidth: 0, opacity: tile.disabled ? 0.75 : 1 }}
    >
      <CardContent sx={{ p: 1.5, '&:last-child': { pb: 1.5 } }}>
        <EndpointLabel name={tile.name ?? tile.endpointId} destination={tile.url} max={34} testId="health-tile" />
        {tile.description ? (
          <Typography variant="caption" color="text.secondary" noWrap component="div" title={tile.description}>
            {tile.description}
          </Typography>
        ) : null}
        <Stack direction="row" spacing={0.5} sx={{ mt: 0.5, minHeight: 24, flexWrap: 'wrap' }}>
          {tile.disabled ? <Chip size="small" label="Disabled" data-testid="health-tile-disabled" /> : null}
          {circuitOpen ? (
            <Chip
              size="small"
              color="error"
              variant="outlined"
              label={`Circuit open until ${formatTime(tile.circuitOpenUntil as string)}`}
              data-testid="health-tile-circuit"
            />
          ) : null}
          {tile.consecutiveFailures ? (
            <Chip size="small" variant="outlined" label={`${tile.consecutiveFailures} failures in a row`} />
          ) : null}
          {tile.type && tile.type !== 'webhook' ? <Chip size="small" variant="outlined" label={tile.type} /> : null}
        </Stack>
        <Stack direction="row" spacing={1} sx={{ mt: 1, alignItems: 'baseline' }}>
          <Typography
            variant="h6"
            component="div"
            sx={{ color: rateColor(tile.successRate), fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' }}
            data-testid="health-tile-rate"
          >
            {formatRate(tile.successRate)}
          </Typography>
          <Typography variant="caption" color="text.secondary">
            success, {tile.windowLabel} · {tile.attempts.toLocaleString()} attempt{tile.attempts === 1 ? '' : 's'}
          </Typography>
        </Stack>
        <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(3, minmax(0, 1fr))', gap: 1, mt: 1 }}>
          <Metric label="p50" value={formatMs(tile.p50)} testId="health-tile-p50" />
          <Metric label="p99" value={formatMs(tile.p99)} testId="health-tile-p99" />
          <Metric label="backlog" value={tile.backlog === undefined ? '—' : tile.backlog.toLocaleString()} testId="health-tile-backlog" />
        </Box>
        <Stack direction="row" spacing={1} sx={{ mt: 1, minHeight: 24, alignItems: 'center' }}>
          <Typography variant="caption" color="text.secondary">
            Last:
          </Typography>
          {tile.last && lastOutcome ? (
            <>
              <OutcomeChip outcome={lastOutcome} />
              <Typography variant="caption" sx={{ fontVariantNumeric: 'tabular-nums' }}>
                {tile.last.responseStatusCode || 'no response'} · {formatMs(tile.last.responseDurationMs)} ·{' '}
                {formatTime(tile.last.timestamp)}
              </Typography>
            </>
          ) : (
            <Typography variant="caption" color="text.secondary">
              no attempt since this page opened
            </Typography>
          )}
        </Stack>
      </CardContent>
    </Card>
  );
}

/** Responsive grid of tiles. */
export function TileGrid({ children, label }: { children: ReactNode; label: string }) {
  return (
    <Box
      role="region"
      aria-label={label}
      data-testid="health-tiles"
      sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(260px, 1fr))', gap: 1.5 }}
    >
      {children}
    </Box>
  );
}

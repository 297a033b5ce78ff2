import { Alert, Chip, Tooltip } from '@mui/material';
import { Component, type ErrorInfo, type ReactNode, useEffect, useState } from 'react';
import { ApiError, onUnauthorized } from '../api';
import type { AttemptOutcome } from './attempts';
import type { StreamStatus } from './sse';

const STATE_LABEL: Record<StreamStatus['state'], string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Stopped',
  error: 'Disconnected',
};

const STATE_COLOR = {
  connecting: 'default',
  live: 'success',
  reconnecting: 'warning',
  closed: 'default',
  error: 'error',
} as const;

/** Seconds left until `at`, re-rendered every second while counting down. */
function useCountdown(at: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (at === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [at]);
  return at === null ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** "Live" / "Reconnecting… (3 s)" chip; the reason is in the tooltip and the accessible name. */
export function ConnectionChip({ status, testId, label }: { status: StreamStatus; testId: string; label?: string }) {
  const seconds = useCountdown(status.state === 'reconnecting' ? status.retryAt : null);
  const text = STATE_LABEL[status.state] + (seconds ? ` (${seconds} s)` : '');
  const reason = status.error?.detail;
  return (
    <Tooltip title={reason ?? (status.state === 'live' ? 'Receiving updates as they happen' : '')}>
      <Chip
        size="small"
        variant={status.state === 'live' ? 'filled' : 'outlined'}
        color={STATE_COLOR[status.state]}
        label={text}
        role="status"
        aria-live="polite"
        aria-label={`${label ?? 'Live updates'}: ${text}${reason ? ` — ${reason}` : ''}`}
        data-testid={testId}
        data-state={status.state}
        icon={<Dot state={status.state} />}
      />
    </Tooltip>
  );
}

function Dot({ state }: { state: StreamStatus['state'] }) {
  const color = state === 'live' ? '#2e7d32' : state === 'reconnecting' ? '#ed6c02' : state === 'error' ? '#d32f2f' : '#9e9e9e';
  return (
    <svg width="10" height="10" viewBox="0 0 10 10" aria-hidden="true" style={{ marginLeft: 6 }}>
      <circle cx="5" cy="5" r="4" fill={state === 'live' ? '#fff' : color}>
        {state === 'live' ? <animate attributeName="opacity" values="1;0.3;1" dur="2s" repeatCount="indefinite" /> : null}
      </circle>
    </svg>
  );
}

/** A stopped stream's reason, with the API's detail and request id. */
export function StreamErrorAlert({ status, what }: { status: StreamStatus; what: string }) {
  if (status.state !== 'error' || !status.error) return null;
  const { detail, requestId, status: code } = status.error;
  return (
    <Alert severity="error" data-testid="live-error" role="alert">
      {what} stopped: {detail}
      {code ? ` (HTTP ${code}${requestId ? `, request ${requestId}` : ''})` : ''}. Reload the page to try again.
    </Alert>
  );
}

const OUTCOME_COLOR = { succeeded: 'success', failed: 'error', pending: 'warning' } as const;

/** Shown beside a failure after which nothing is retried. */
export const FINAL_FAILURE_TEXT = 'final (dead-lettered)';

/** An attempt's outcome; a final failure (no retry left, dead-lettered) says so, unlike one that will be retried. */
export function OutcomeChip({ outcome, final }: { outcome: AttemptOutcome; final?: boolean | undefined }) {
  const isFinal = outcome === 'failed' && final === true;
  return (
    <Chip
      size="small"
      color={OUTCOME_COLOR[outcome]}
      variant={isFinal ? 'filled' : outcome === 'failed' ? 'outlined' : 'filled'}
      label={isFinal ? `failed — ${FINAL_FAILURE_TEXT}` : outcome}
      title={isFinal ? 'No retry is left: the delivery is dead-lettered. Replay it from Dead letters.' : undefined}
      data-testid="status-chip"
      data-final={isFinal ? 'true' : undefined}
      sx={isFinal ? { height: 'auto', '& .MuiChip-label': { whiteSpace: 'normal', py: 0.25 } } : undefined}
    />
  );
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)}\u00a0ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}\u00a0s`;
}

export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  const percent = rate * 100;
  return `${percent === 100 || percent === 0 ? percent.toFixed(0) : percent.toFixed(percent >= 99 ? 2 : 1)}\u00a0%`;
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toLocaleTimeString(undefined, { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** The message to show for a failed request; a refused credential sends the user to the login page. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) onUnauthorized(error.body.detail ?? '');
    return error.message + (error.body.requestId ? ` (request ${error.body.requestId})` : '');
  }
  return error instanceof Error ? error.message : String(error);
}

/** Quantile of a sample (linear interpolation, as Postgres' percentile_cont). */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

/** Health colour of a success rate: green at 99 % and above, amber from 90 %, red below, grey without data. */
export function rateColor(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '#9e9e9e';
  if (rate >= 0.99) return '#2e7d32';
  if (rate >= 0.9) return '#ed6c02';
  return '#d32f2f';
}

/** Keeps a failing live section from blanking the page around it. */
export class LiveSectionBoundary extends Component<{ name: string; children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(`${this.props.name} failed`, error, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <Alert severity="error" data-testid="live-section-error">
        {this.props.name} could not be shown: {this.state.error.message}. Reload the page to try again.
      </Alert>
    );
  }
}

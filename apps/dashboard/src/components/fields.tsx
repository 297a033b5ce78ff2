import { Box, Chip, type ChipProps, Tooltip, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { useRecordContext } from 'react-admin';
import type { StatusText } from '../data/types';

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (Math.abs(seconds) < 5) return 'just now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') return relative.format(Math.round(seconds / size), unit);
  }
  return iso;
}

export const formatAbsolute = (iso: string) => absolute.format(new Date(iso));

/** "3 minutes ago", with the exact local time on hover and in the accessible name. */
export const Time = ({ value, empty = '—' }: { value: string | null | undefined; empty?: string }) => {
  if (!value || Number.isNaN(Date.parse(value))) return <span>{empty}</span>;
  return (
    <Tooltip title={`${formatAbsolute(value)} (${value})`}>
      <Box component="time" dateTime={value} sx={{ whiteSpace: 'nowrap' }}>
        {formatRelative(value)}
      </Box>
    </Tooltip>
  );
};

/** A record's timestamp field as relative time (for Datagrid columns and show layouts). */
export const TimeField = ({ source, empty }: { source: string; label?: string; sortable?: boolean; empty?: string }) => {
  const record = useRecordContext();
  return <Time value={record?.[source] as string | null | undefined} empty={empty} />;
};

const STATUS_LOOK: Record<StatusText, { label: string; color: ChipProps['color'] }> = {
  success: { label: 'Succeeded', color: 'success' },
  fail: { label: 'Failed', color: 'error' },
  pending: { label: 'Pending', color: 'warning' },
  sending: { label: 'Sending', color: 'info' },
  canceled: { label: 'Canceled', color: 'default' },
};

/**
 * Delivery/attempt status: green succeeded, red failed, amber pending. A
 * final failure (nothing is retried after it: dead-lettered) says so, unlike
 * a failure that will be retried.
 */
export const StatusChip = ({ status, final }: { status: StatusText | string | undefined; final?: boolean | undefined }) => {
  const look = STATUS_LOOK[status as StatusText] ?? { label: status ?? 'unknown', color: 'default' as const };
  const isFinal = status === 'fail' && final === true;
  return (
    <Chip
      size="small"
      label={isFinal ? `${look.label} — final (dead-lettered)` : look.label}
      color={look.color}
      variant={look.color === 'default' ? 'outlined' : 'filled'}
      data-testid="status-chip"
      data-final={isFinal ? 'true' : undefined}
      title={isFinal ? 'No retry is left: the delivery is dead-lettered. Replay it from Dead letters.' : undefined}
    />
  );
};

export const StatusField = (_: { label?: string; source?: string; sortable?: boolean }) => {
  const record = useRecordContext();
  // `final` is optional: an API from before it leaves it out, and the chip then says "Failed".
  return <StatusChip status={record?.statusText as string | undefined} final={record?.final as boolean | undefined} />;
};

/** HTTP status code coloured by class; 0 means no response (connection error, timeout). */
export const HttpCode = ({ code }: { code: number | null | undefined }) => {
  if (!code)
    return (
      <Typography variant="body2" color="text.secondary">
        no response
      </Typography>
    );
  const color =
    code >= 200 && code < 300 ? 'success.main' : code >= 500 || code === 429 ? 'error.main' : code >= 400 ? 'warning.dark' : 'text.primary';
  return (
    <Typography variant="body2" component="span" sx={{ color, fontFamily: 'monospace', fontWeight: 600 }}>
      {code}
    </Typography>
  );
};

export const DurationText = ({ ms }: { ms: number | null | undefined }) =>
  ms === null || ms === undefined ? <span>—</span> : <span>{ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`}</span>;

/** An id in monospace, shortened in tables; the full id stays in the title and in copy-paste. */
export const Mono = ({ children, title }: { children: ReactNode; title?: string }) => (
  <Box component="span" title={title} sx={{ fontFamily: 'monospace', fontSize: '0.85em', wordBreak: 'break-all' }}>
    {children}
  </Box>
);

export const IdField = ({ source = 'id' }: { source?: string; label?: string; sortable?: boolean }) => {
  const record = useRecordContext();
  const value = record?.[source] as string | undefined;
  return value ? <Mono title={value}>{value}</Mono> : <span>—</span>;
};

export const TagList = ({ items, empty = '—' }: { items: string[] | null | undefined; empty?: string }) =>
  items && items.length > 0 ? (
    <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5 }}>
      {items.map((item) => (
        <Chip key={item} label={item} size="small" variant="outlined" />
      ))}
    </Box>
  ) : (
    <Typography variant="body2" color="text.secondary" component="span">
      {empty}
    </Typography>
  );

import { Box, Tooltip, Typography } from '@mui/material';

/** What an endpoint is called on screen: its description, else its uid, else its id. */
export function endpointName(endpoint: { id?: string; endpointId?: string; description?: string | null; uid?: string | null }): string {
  return endpoint.description?.trim() || endpoint.uid || endpoint.id || endpoint.endpointId || '—';
}

/**
 * A long URL shortened in the middle, keeping the host and the end of the
 * path. Endpoints of one service often share everything but their last
 * segment: cutting the end (CSS ellipsis) makes them look alike.
 */
export function shortUrl(url: string, max = 48): string {
  if (url.length <= max) return url;
  const scheme = /^[a-z]+:\/\//i.exec(url)?.[0] ?? '';
  const rest = url.slice(scheme.length);
  const keepEnd = Math.ceil((max - scheme.length) * 0.55);
  const keepStart = Math.max(4, max - scheme.length - keepEnd - 1);
  return `${scheme}${rest.slice(0, keepStart)}…${rest.slice(rest.length - keepEnd)}`;
}

/**
 * An endpoint as a two-line label: its name, then where it delivers (shortened
 * in the middle, in full on hover). `testId` marks both lines for tests.
 */
export function EndpointLabel(props: { name: string; destination: string; max?: number; testId?: string; dense?: boolean }) {
  const { name, destination, max = 48, testId = 'endpoint-label', dense = false } = props;
  const shown = shortUrl(destination, max);
  return (
    <Box sx={{ minWidth: 0 }} data-testid={testId}>
      <Typography variant={dense ? 'body2' : 'subtitle2'} component="div" data-testid={`${testId}-name`} sx={{ wordBreak: 'break-word' }}>
        {name}
      </Typography>
      {destination && destination !== name ? (
        <Tooltip title={destination}>
          <Typography
            variant="caption"
            color="text.secondary"
            component="div"
            data-testid={`${testId}-url`}
            sx={{ fontFamily: 'monospace', whiteSpace: 'nowrap' }}
          >
            {shown}
          </Typography>
        </Tooltip>
      ) : null}
    </Box>
  );
}

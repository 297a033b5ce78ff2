import { Box, Card, CardContent, Stack, Typography } from '@mui/material';
import type { ReactNode } from 'react';

/** A titled card: the one building block of every show page. */
export const PageSection = ({
  title,
  actions,
  children,
  description,
  testId,
}: {
  title: string;
  actions?: ReactNode;
  description?: ReactNode;
  children: ReactNode;
  testId?: string;
}) => (
  <Card component="section" aria-label={title} sx={{ mt: 2 }} data-testid={testId}>
    <CardContent>
      <Stack direction="row" spacing={2} sx={{ mb: 1.5, flexWrap: 'wrap', alignItems: 'center', justifyContent: 'space-between' }}>
        <Box>
          <Typography variant="h6" component="h2">
            {title}
          </Typography>
          {description && (
            <Typography variant="body2" color="text.secondary">
              {description}
            </Typography>
          )}
        </Box>
        {actions && (
          <Stack direction="row" spacing={1} sx={{ flexWrap: 'wrap' }}>
            {actions}
          </Stack>
        )}
      </Stack>
      {children}
    </CardContent>
  </Card>
);

/** Label/value pairs in a responsive grid. */
export const Facts = ({ items }: { items: [label: string, value: ReactNode][] }) => (
  <Box
    component="dl"
    sx={{ m: 0, display: 'grid', gridTemplateColumns: { xs: '1fr', sm: 'minmax(140px, max-content) 1fr' }, columnGap: 3, rowGap: 1 }}
  >
    {items.map(([label, value]) => (
      <Box key={label} sx={{ display: 'contents' }}>
        <Typography component="dt" variant="body2" color="text.secondary">
          {label}
        </Typography>
        <Typography component="dd" variant="body2" sx={{ m: 0, minWidth: 0, wordBreak: 'break-word' }}>
          {value ?? '—'}
        </Typography>
      </Box>
    ))}
  </Box>
);

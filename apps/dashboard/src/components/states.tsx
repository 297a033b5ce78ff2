import InboxIcon from '@mui/icons-material/Inbox';
import SearchOffIcon from '@mui/icons-material/SearchOff';
import { Alert, AlertTitle, Box, Button, Card, CardContent, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { Link, useEditContext, useListContext, useResourceContext, useShowContext } from 'react-admin';
import { ApiError } from '../api';

/** The readable message of anything thrown: the API's `detail`, or the error's own message. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string') return error.message;
  return 'Something went wrong';
}

export const errorStatus = (error: unknown): number | undefined =>
  error && typeof error === 'object' && 'status' in error && typeof error.status === 'number' ? error.status : undefined;

/** An empty list: what is missing and what to do about it. */
export const EmptyState = ({ title, hint, action }: { title: string; hint?: ReactNode; action?: ReactNode }) => (
  <Box sx={{ textAlign: 'center', py: 6, px: 2, width: '100%' }} data-testid="empty-state">
    <InboxIcon sx={{ fontSize: 56, color: 'text.disabled' }} />
    <Typography variant="h6" component="p" sx={{ mt: 1 }}>
      {title}
    </Typography>
    {hint && (
      <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5, maxWidth: 560, mx: 'auto' }}>
        {hint}
      </Typography>
    )}
    {action && <Box sx={{ mt: 2 }}>{action}</Box>}
  </Box>
);

/** A list whose filters match nothing (react-admin shows `empty` only without filters). */
export const NoMatches = ({ what }: { what: string }) => {
  const { setFilters, filterValues } = useListContext();
  const filtered = Object.keys(filterValues ?? {}).some((key) => key !== 'appId');
  return (
    <EmptyState
      title={filtered ? `No ${what} match these filters` : `No ${what} yet`}
      action={
        filtered ? (
          <Button variant="outlined" onClick={() => setFilters({}, [])}>
            Clear filters
          </Button>
        ) : undefined
      }
    />
  );
};

export const NotFound = ({ detail, title = 'Not found' }: { detail?: string; title?: string }) => (
  <Card sx={{ mt: 2 }} data-testid="not-found">
    <CardContent sx={{ textAlign: 'center', py: 6 }}>
      <SearchOffIcon sx={{ fontSize: 56, color: 'text.disabled' }} />
      <Typography variant="h5" component="h1" sx={{ mt: 1 }}>
        {title}
      </Typography>
      <Typography color="text.secondary" sx={{ mt: 1 }}>
        {detail ?? 'There is nothing at this address. It may have been deleted, or belong to another application.'}
      </Typography>
      <Button component={Link} to="/" variant="outlined" sx={{ mt: 3 }}>
        Go to the start page
      </Button>
    </CardContent>
  </Card>
);

/** Any failed load: 404 becomes the not-found page, anything else the API's words. */
export const LoadError = ({ error }: { error: unknown }) => {
  const status = errorStatus(error);
  if (status === 404)
    return <NotFound detail={`${capitalize(errorMessage(error))}. It may have been deleted, or belong to another application.`} />;
  const title =
    status === 403
      ? 'Not allowed'
      : status === 0
        ? 'Herald did not answer'
        : error instanceof ApiError && error.body.code === 'no_application'
          ? 'Choose an application'
          : 'Could not load this page';
  return (
    <Alert severity={status === 403 || status === 400 ? 'warning' : 'error'} sx={{ mt: 2 }} role="alert">
      <AlertTitle>{title}</AlertTitle>
      {errorMessage(error)}
      {error instanceof ApiError && error.body.requestId && (
        <Typography variant="caption" component="div" color="text.secondary" sx={{ mt: 1 }}>
          Request id: {error.body.requestId}
        </Typography>
      )}
    </Alert>
  );
};

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * For a Show/Edit's `queryOptions.onError`: the page itself shows the error
 * (not-found page or the API's detail), so no toast and no redirect.
 */
export const quietLoadError = () => undefined;

/** For `<Show error={…}>`. */
export const ShowLoadError = () => {
  const { error } = useShowContext();
  return <LoadError error={error} />;
};

/** For `<Edit error={…}>`. */
export const EditLoadError = () => {
  const { error } = useEditContext();
  return <LoadError error={error} />;
};

/** For `<List error={…}>`. */
export const ListLoadError = () => {
  const { error } = useListContext();
  const resource = useResourceContext();
  return <LoadError error={error ?? new Error(`Could not load ${resource}`)} />;
};

/** Inside an embedded list (ListBase): its load error, readable, where the rows would be. */
export const ListErrorNotice = () => {
  const { error } = useListContext();
  return error ? <LoadError error={error} /> : null;
};

/** The catch-all route. */
export const NotFoundPage = () => <NotFound title="Page not found" detail="There is no page at this address." />;

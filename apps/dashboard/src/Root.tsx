import { Alert, Box, Button, Card, CardContent, CircularProgress, Stack, Typography } from '@mui/material';
import { Component, type ErrorInfo, type ReactNode, useEffect, useState } from 'react';
import { App } from './App';
import { ApiError, isPortalMode, portalToken, session } from './api';
import { whoami } from './auth/authProvider';
import { currentApp } from './currentApp';

/** A page of its own for what happens before (or outside) react-admin's layout. */
export const StandalonePage = ({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) => (
  <Box sx={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', bgcolor: 'grey.100', p: 2 }}>
    <Card sx={{ width: 520, maxWidth: '100%' }} component="main" data-testid={testId}>
      <CardContent>
        <Stack spacing={2}>
          <Typography variant="h5" component="h1">
            {title}
          </Typography>
          {children}
        </Stack>
      </CardContent>
    </Card>
  </Box>
);

/** The last line of defence: a render error anywhere outside the layout still shows a page, never a blank one. */
export class AppErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('dashboard crashed', error, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <StandalonePage title="Something went wrong">
        <Alert severity="error">{this.state.error.message || 'The dashboard hit an unexpected error.'}</Alert>
        <Typography variant="body2" color="text.secondary">
          Deliveries are not affected: this is the dashboard only. Reload to try again.
        </Typography>
        <Box>
          <Button variant="contained" onClick={() => window.location.reload()}>
            Reload
          </Button>
        </Box>
      </StandalonePage>
    );
  }
}

type PortalState = { phase: 'loading' } | { phase: 'ready'; appId: string } | { phase: 'failed'; message: string; expired: boolean };

/** Portal mode learns its application from whoami before anything renders. */
const PortalRoot = () => {
  const [state, setState] = useState<PortalState>({ phase: 'loading' });
  const [attempt, setAttempt] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is the retry trigger
  useEffect(() => {
    let live = true;
    whoami()
      .then((me) => {
        if (!live) return;
        if (!me.appId) {
          setState({ phase: 'failed', message: 'This link is not an application portal link.', expired: true });
          return;
        }
        currentApp.fix(me.appId);
        setState({ phase: 'ready', appId: me.appId });
      })
      .catch((error: unknown) => {
        if (!live) return;
        const expired = error instanceof ApiError && error.status === 401;
        if (expired) portalToken.clear();
        setState({ phase: 'failed', message: error instanceof Error ? error.message : 'Herald did not answer', expired });
      });
    return () => {
      live = false;
    };
  }, [attempt]);

  if (state.phase === 'loading') {
    return (
      <Box sx={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center' }}>
        <CircularProgress aria-label="Loading" />
      </Box>
    );
  }
  if (state.phase === 'failed') {
    return (
      <StandalonePage title={state.expired ? 'This portal link is no longer valid' : 'The portal could not load'} testId="portal-error">
        <Alert severity="error">{state.message}</Alert>
        <Typography variant="body2" color="text.secondary">
          {state.expired ? 'Ask the service that sent you this link for a new one.' : 'Check your connection and try again.'}
        </Typography>
        <Stack direction="row" spacing={1}>
          {!state.expired && (
            <Button variant="contained" onClick={() => setAttempt((n) => n + 1)}>
              Try again
            </Button>
          )}
          {state.expired && session.get() && (
            <Button variant="outlined" onClick={() => window.location.assign(`${window.location.pathname}#/`)}>
              Back to the dashboard
            </Button>
          )}
        </Stack>
      </StandalonePage>
    );
  }
  return <App portalAppId={state.appId} />;
};

export const Root = () => <AppErrorBoundary>{isPortalMode() ? <PortalRoot /> : <App portalAppId={null} />}</AppErrorBoundary>;

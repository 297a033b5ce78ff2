import type { ReactNode } from 'react';
import { Button, Link, Title } from 'react-admin';
import { EmptyState } from '../components/states';
import { useCurrentAppId } from '../currentApp';

/**
 * Per-application pages render their children with the current application's
 * id, or explain how to choose one.
 */
export const NeedsApp = ({ title, children }: { title: string; children: (appId: string) => ReactNode }) => {
  const appId = useCurrentAppId();
  if (appId) return <>{children(appId)}</>;
  return (
    <>
      <Title title={title} />
      <EmptyState
        title="Choose an application"
        hint={`${title} belong to an application. Pick one with the "Application" picker at the top, or create your first application.`}
        action={<Button component={Link} to="/app/create" label="Create an application" variant="contained" />}
      />
    </>
  );
};

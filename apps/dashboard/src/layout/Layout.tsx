import AppsIcon from '@mui/icons-material/Apps';
import BoltIcon from '@mui/icons-material/Bolt';
import CategoryIcon from '@mui/icons-material/Category';
import HistoryIcon from '@mui/icons-material/History';
import HubIcon from '@mui/icons-material/Hub';
import MailIcon from '@mui/icons-material/MailOutlined';
import PeopleIcon from '@mui/icons-material/People';
import ReportIcon from '@mui/icons-material/ReportProblem';
import { Alert, AlertTitle, Box, Button, Divider, ListSubheader, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import {
  AppBar,
  type LayoutProps,
  Logout,
  Menu,
  Layout as RaLayout,
  TitlePortal,
  UserMenu,
  useGetOne,
  usePermissions,
  useSidebarState,
} from 'react-admin';
import { portalToken, session } from '../api';
import { errorMessage } from '../components/states';
import { useCurrentAppId } from '../currentApp';
import type { Application } from '../data/types';
import { AppPicker } from './AppPicker';
import { usePortal } from './portalContext';

const HeraldAppBar = () => {
  const portal = usePortal();
  return (
    <AppBar
      userMenu={
        <UserMenu>
          <Logout />
        </UserMenu>
      }
    >
      <TitlePortal />
      {!portal && <AppPicker />}
    </AppBar>
  );
};

const Section = ({ children }: { children: string }) => {
  const [open] = useSidebarState();
  return open ? (
    <ListSubheader component="div" sx={{ bgcolor: 'transparent', lineHeight: '32px', mt: 1 }}>
      {children}
    </ListSubheader>
  ) : (
    <Divider sx={{ my: 1 }} />
  );
};

const HeraldMenu = () => {
  const portal = usePortal();
  const { permissions } = usePermissions<string>();
  if (portal) {
    return (
      <Menu>
        <Menu.ResourceItem name="endpoint" />
        <Menu.ResourceItem name="msg" />
      </Menu>
    );
  }
  return (
    <Menu>
      <Menu.Item to="/live" primaryText="Live" leftIcon={<BoltIcon />} />
      <Menu.ResourceItem name="app" />
      <Menu.ResourceItem name="event-type" />
      <Section>Current application</Section>
      <Menu.ResourceItem name="endpoint" />
      <Menu.ResourceItem name="msg" />
      <Menu.ResourceItem name="dead-letter" />
      <Menu.ResourceItem name="replay" />
      {permissions === 'admin' && (
        <>
          <Section>Organization</Section>
          <Menu.ResourceItem name="operator" />
        </>
      )}
    </Menu>
  );
};

export const RESOURCE_ICONS = {
  app: AppsIcon,
  endpoint: HubIcon,
  'event-type': CategoryIcon,
  msg: MailIcon,
  'dead-letter': ReportIcon,
  replay: HistoryIcon,
  operator: PeopleIcon,
};

/** Portal mode says so on every page: whose application this is, and that it is all one sees. */
const PortalBanner = () => {
  const appId = useCurrentAppId();
  const { data } = useGetOne<Application>('app', { id: appId ?? '' }, { enabled: !!appId });
  const exit = () => {
    portalToken.clear();
    window.location.hash = '#/';
    window.location.reload();
  };
  return (
    <Alert
      severity="info"
      icon={false}
      data-testid="portal-banner"
      sx={{ mb: 1, mt: 1 }}
      action={
        session.get() ? (
          <Button color="inherit" size="small" onClick={exit}>
            Exit portal
          </Button>
        ) : undefined
      }
    >
      <Typography variant="body2">
        <strong>Application portal</strong> — {data?.name ?? appId}. You can manage this application's endpoints and see its messages and
        delivery attempts.
      </Typography>
    </Alert>
  );
};

/** What react-admin shows when a page throws while rendering: the message, and a way back. */
const LayoutError = ({ error, resetErrorBoundary }: { error?: Error; resetErrorBoundary?: () => void; errorInfo?: unknown }) => (
  <Box sx={{ mt: 2 }}>
    <Alert
      severity="error"
      role="alert"
      action={
        resetErrorBoundary ? (
          <Button color="inherit" size="small" onClick={resetErrorBoundary}>
            Try again
          </Button>
        ) : undefined
      }
    >
      <AlertTitle>This page hit an error</AlertTitle>
      {errorMessage(error)}
    </Alert>
  </Box>
);

export const Layout = ({ children, ...props }: LayoutProps & { children?: ReactNode }) => {
  const portal = usePortal();
  return (
    <RaLayout {...props} appBar={HeraldAppBar} menu={HeraldMenu} error={LayoutError}>
      {portal && <PortalBanner />}
      {children}
    </RaLayout>
  );
};

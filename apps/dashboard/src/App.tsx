import { QueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Admin, CustomRoutes, Navigate, Resource, reactRouterProvider } from 'react-admin';
import { authProvider } from './auth/authProvider';
import { LoginPage } from './auth/LoginPage';
import { endpointName } from './components/endpointName';
import { errorStatus, NotFoundPage } from './components/states';
import { dataProvider } from './data/dataProvider';
import { i18nProvider } from './i18n';
import { Layout, RESOURCE_ICONS } from './layout/Layout';
import { PortalContext } from './layout/portalContext';
import { LiveFeedPage } from './live';
import { ApplicationCreate, ApplicationEdit, ApplicationList, ApplicationShow } from './resources/applications';
import { AttemptShow } from './resources/attempts';
import { DeadLetterList } from './resources/deadLetters';
import { EndpointCreate, EndpointEdit, EndpointList, EndpointShow } from './resources/endpoints';
import { EventTypeCreate, EventTypeEdit, EventTypeList } from './resources/eventTypes';
import { MessageCreate, MessageList, MessageShow } from './resources/messages';
import { OperatorCreate, OperatorList } from './resources/operators';
import { ReplayList, ReplayShow } from './resources/replays';
import { theme } from './theme';

const { Route } = reactRouterProvider;

/** Retry only what may pass on a second try (network, 5xx); a 4xx answer is final. */
function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (failures, error) => {
          const status = errorStatus(error);
          return failures < 2 && (status === undefined || status === 0 || status >= 500);
        },
        refetchOnWindowFocus: false,
        staleTime: 5_000,
      },
    },
  });
}

/** Operators land on the live feed; a portal on its endpoints. */
const OperatorHome = () => <Navigate to="/live" replace />;
const PortalHome = () => <Navigate to="/endpoint" replace />;

export const App = ({ portalAppId }: { portalAppId: string | null }) => {
  const queryClient = useMemo(makeQueryClient, []);
  const portal = portalAppId !== null;
  return (
    <PortalContext.Provider value={portalAppId}>
      <Admin
        title="Herald"
        dataProvider={dataProvider}
        authProvider={authProvider}
        queryClient={queryClient}
        i18nProvider={i18nProvider}
        loginPage={LoginPage}
        layout={Layout}
        dashboard={portal ? PortalHome : OperatorHome}
        catchAll={NotFoundPage}
        theme={theme}
        requireAuth
        disableTelemetry
      >
        {(permissions: string | undefined) => [
          !portal && (
            <Resource
              key="app"
              name="app"
              options={{ label: 'Application |||| Applications' }}
              icon={RESOURCE_ICONS.app}
              recordRepresentation="name"
              list={ApplicationList}
              show={ApplicationShow}
              create={ApplicationCreate}
              edit={ApplicationEdit}
            />
          ),
          <Resource
            key="event-type"
            name="event-type"
            options={{ label: 'Event type |||| Event types' }}
            icon={RESOURCE_ICONS['event-type']}
            recordRepresentation="name"
            list={portal ? undefined : EventTypeList}
            create={portal ? undefined : EventTypeCreate}
            edit={portal ? undefined : EventTypeEdit}
          />,
          <Resource
            key="endpoint"
            name="endpoint"
            options={{ label: 'Endpoint |||| Endpoints' }}
            icon={RESOURCE_ICONS.endpoint}
            recordRepresentation={(record) => endpointName(record)}
            list={EndpointList}
            show={EndpointShow}
            create={EndpointCreate}
            edit={EndpointEdit}
          />,
          <Resource
            key="msg"
            name="msg"
            options={{ label: 'Message |||| Messages' }}
            icon={RESOURCE_ICONS.msg}
            recordRepresentation="eventType"
            list={MessageList}
            show={MessageShow}
            create={portal ? undefined : MessageCreate}
          >
            <Route path=":msgId/attempt/:attemptId" element={<AttemptShow />} />
          </Resource>,
          <Resource key="attempt" name="attempt" options={{ label: 'Attempt |||| Attempts' }} />,
          <Resource key="destination" name="destination" options={{ label: 'Destination |||| Destinations' }} />,
          !portal && (
            <Resource
              key="dead-letter"
              name="dead-letter"
              options={{ label: 'Dead letter |||| Dead letters' }}
              icon={RESOURCE_ICONS['dead-letter']}
              list={DeadLetterList}
            />
          ),
          !portal && (
            <Resource
              key="replay"
              name="replay"
              options={{ label: 'Replay |||| Replays' }}
              icon={RESOURCE_ICONS.replay}
              list={ReplayList}
              show={ReplayShow}
            />
          ),
          !portal && permissions === 'admin' && (
            <Resource
              key="operator"
              name="operator"
              options={{ label: 'Operator |||| Operators' }}
              icon={RESOURCE_ICONS.operator}
              recordRepresentation="email"
              list={OperatorList}
              create={OperatorCreate}
            />
          ),
          !portal && (
            <CustomRoutes key="live">
              <Route path="/live" element={<LiveFeedPage />} />
            </CustomRoutes>
          ),
        ]}
      </Admin>
    </PortalContext.Provider>
  );
};

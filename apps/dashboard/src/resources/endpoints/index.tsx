import { Box, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import {
  Create,
  CreateButton,
  DeleteButton,
  Edit,
  EditButton,
  List,
  SaveButton,
  Show,
  Toolbar,
  TopToolbar,
  useRecordContext,
} from 'react-admin';
import { CursorPagination } from '../../components/CursorPagination';
import { endpointName } from '../../components/endpointName';
import { Mono, TagList, Time } from '../../components/fields';
import { JsonView } from '../../components/JsonView';
import { Facts, PageSection } from '../../components/PageSection';
import { EditLoadError, ListLoadError, quietLoadError, ShowLoadError } from '../../components/states';
import { recordIdOf } from '../../data/dataProvider';
import type { Endpoint } from '../../data/types';
import { NeedsApp } from '../../layout/NeedsApp';
import { EndpointChart } from '../../live';
import { AttemptTable } from '../attempts';
import { HeadersPanel, SecretPanel, SendTestEventButton, ToggleDisabledButton } from './EndpointActions';
import { EndpointForm, endpointFromForm } from './EndpointForm';
import { destinationOf, EnabledChip, EndpointColumns, NoEndpoints } from './EndpointTable';

export const EndpointList = () => (
  <NeedsApp title="Endpoints">
    {(appId) => (
      <List
        pagination={<CursorPagination />}
        title="Endpoints"
        filter={{ appId }}
        queryOptions={{ meta: { appId } }}
        perPage={25}
        empty={<NoEndpoints />}
        error={<ListLoadError />}
        actions={
          <TopToolbar>
            <CreateButton label="Create" />
          </TopToolbar>
        }
      >
        <EndpointColumns />
      </List>
    )}
  </NeedsApp>
);

const EndpointTitle = () => {
  const record = useRecordContext<Endpoint>();
  return <span>{record ? `Endpoint ${endpointName(record)}` : 'Endpoint'}</span>;
};

const EndpointShowActions = () => (
  <TopToolbar>
    <ToggleDisabledButton />
    <SendTestEventButton />
    <EditButton />
    <DeleteButton
      mutationMode="pessimistic"
      confirmTitle="Delete this endpoint?"
      confirmContent="It stops receiving events at once, and its delivery history is deleted. This cannot be undone."
    />
  </TopToolbar>
);

const EndpointDetails = () => {
  const record = useRecordContext<Endpoint>();
  if (!record) return null;
  return (
    <Box>
      <PageSection title={endpointName({ ...record, id: recordIdOf(record) })} actions={<EnabledChip disabled={record.disabled} />}>
        <Facts
          items={[
            ['Destination', <Mono key="d">{destinationOf(record)}</Mono>],
            ['Type', record.type],
            ...(Object.keys(record.settings ?? {}).length > 0
              ? [['Settings', <JsonView key="s" label="Settings" value={record.settings} maxHeight={240} />] as [string, ReactNode]]
              : []),
            ['Id', <Mono key="id">{recordIdOf(record)}</Mono>],
            ['UID', record.uid ? <Mono key="uid">{record.uid}</Mono> : '—'],
            ['Event types', <TagList key="ft" items={record.filterTypes} empty="all event types" />],
            ['Channels', <TagList key="ch" items={record.channels} empty="any channel" />],
            ['Retry schedule', record.retrySchedule ? record.retrySchedule.map((s) => `${s} s`).join(', ') : 'default'],
            ['Throttle', record.throttleRate ? `${record.throttleRate} deliveries/s` : 'none'],
            ['Ordered (FIFO)', record.fifo ? 'yes' : 'no'],
            ['Payload filter', record.filter ? <JsonView key="f" label="Payload filter" value={record.filter} maxHeight={160} /> : 'none'],
            ['Created', <Time key="c" value={record.createdAt} />],
            ['Updated', <Time key="u" value={record.updatedAt} />],
          ]}
        />
      </PageSection>
      <PageSection title="Success rate and latency" description="Live, from the attempt log">
        <EndpointChart appId={record.appId} endpointId={record.id} />
      </PageSection>
      {record.type === 'webhook' && (
        <PageSection title="Signing secret">
          <SecretPanel />
        </PageSection>
      )}
      {record.type === 'webhook' && (
        <PageSection title="Headers" description="Sent with every delivery to this endpoint">
          <HeadersPanel />
        </PageSection>
      )}
      <PageSection title="Delivery attempts" description="Newest first. Open one to see the request and the response.">
        <AttemptTable appId={record.appId} endpointId={record.id} emptyHint='Publish a message, or use "Send test event" above.' />
      </PageSection>
    </Box>
  );
};

export const EndpointShow = () => (
  <NeedsApp title="Endpoints">
    {(appId) => (
      <Show
        component="div"
        actions={<EndpointShowActions />}
        queryOptions={{ meta: { appId }, onError: quietLoadError }}
        error={<ShowLoadError />}
        title={<EndpointTitle />}
      >
        <EndpointDetails />
      </Show>
    )}
  </NeedsApp>
);

export const EndpointCreate = () => (
  <NeedsApp title="Endpoints">
    {(appId) => (
      <Create
        title="Create an endpoint"
        redirect="show"
        mutationOptions={{ meta: { appId } }}
        transform={(data: Record<string, unknown>) => endpointFromForm(data, 'create')}
      >
        <Typography variant="body2" color="text.secondary" sx={{ px: 2, pt: 2 }}>
          In the current application ({appId}).
        </Typography>
        <EndpointForm />
      </Create>
    )}
  </NeedsApp>
);

const EditToolbar = () => (
  <Toolbar sx={{ justifyContent: 'space-between' }}>
    <SaveButton label="Save" />
    <DeleteButton mutationMode="pessimistic" confirmTitle="Delete this endpoint?" confirmContent="This cannot be undone." />
  </Toolbar>
);

export const EndpointEdit = () => (
  <NeedsApp title="Endpoints">
    {(appId) => (
      <Edit
        mutationMode="pessimistic"
        redirect="show"
        queryOptions={{ meta: { appId }, onError: quietLoadError }}
        mutationOptions={{ meta: { appId } }}
        transform={(data: Record<string, unknown>) => endpointFromForm(data, 'edit')}
        error={<EditLoadError />}
        title={<EndpointTitle />}
      >
        <EndpointForm toolbar={<EditToolbar />} />
      </Edit>
    )}
  </NeedsApp>
);

import { Box, Typography } from '@mui/material';
import {
  Create,
  CreateButton,
  Datagrid,
  DateTimeInput,
  FunctionField,
  List,
  ListBase,
  regex,
  required,
  Show,
  SimpleForm,
  TextArrayInput,
  TextField,
  TextInput,
  TopToolbar,
  useRecordContext,
} from 'react-admin';
import { CursorPagination } from '../components/CursorPagination';
import { EventTypeInput } from '../components/EventTypeInput';
import { EndpointLabel, endpointName } from '../components/endpointName';
import { IdField, Mono, StatusChip, TagList, Time, TimeField } from '../components/fields';
import { JsonView } from '../components/JsonView';
import { Facts, PageSection } from '../components/PageSection';
import { EmptyState, ListErrorNotice, ListLoadError, NoMatches, quietLoadError, ShowLoadError } from '../components/states';
import type { Message, MessageDestination } from '../data/types';
import { NeedsApp } from '../layout/NeedsApp';
import { usePortal } from '../layout/portalContext';
import { AttemptTable, ResendButton } from './attempts';
import { destinationOf, EnabledChip } from './endpoints/EndpointTable';

const messageFilters = (appId: string) => [
  <EventTypeInput key="et" source="eventTypes" appId={appId} label="Event types" sx={{ minWidth: 240 }} alwaysOn />,
  <TextInput key="ch" source="channel" label="Channel" alwaysOn />,
  <DateTimeInput key="after" source="after" label="After" />,
  <DateTimeInput key="before" source="before" label="Before" />,
];

const NoMessages = ({ appId }: { appId: string }) => {
  const portal = usePortal();
  return (
    <EmptyState
      title="No messages yet"
      hint={
        portal ? (
          'Messages appear here as soon as this application publishes events.'
        ) : (
          <>
            Publish one with <Mono>POST /api/v1/app/{appId}/msg</Mono>, or from here.
          </>
        )
      }
      action={portal ? undefined : <CreateButton variant="contained" label="Create" />}
    />
  );
};

export const MessageList = () => {
  const portal = usePortal();
  return (
    <NeedsApp title="Messages">
      {(appId) => (
        <List
          pagination={<CursorPagination />}
          title="Messages"
          filter={{ appId }}
          queryOptions={{ meta: { appId } }}
          filters={messageFilters(appId)}
          perPage={25}
          empty={<NoMessages appId={appId} />}
          error={<ListLoadError />}
          actions={<TopToolbar>{!portal && <CreateButton label="Create" />}</TopToolbar>}
        >
          <Datagrid rowClick="show" bulkActionButtons={false} empty={<NoMatches what="messages" />}>
            <TextField source="eventType" label="Event type" sortable={false} />
            <IdField source="id" label="Id" sortable={false} />
            <TextField source="eventId" label="Event id" emptyText="—" sortable={false} />
            <FunctionField label="Channels" render={(record: Message) => <TagList items={record.channels} />} />
            <TimeField source="timestamp" label="Published" sortable={false} />
          </Datagrid>
        </List>
      )}
    </NeedsApp>
  );
};

/** Each endpoint the message goes to, with its delivery state and a "Replay" per endpoint. */
const Destinations = ({ appId, msgId }: { appId: string; msgId: string }) => (
  <ListBase resource="destination" filter={{ appId, msgId }} perPage={50} disableSyncWithLocation queryOptions={{ meta: { appId } }}>
    <ListErrorNotice />
    <Datagrid
      bulkActionButtons={false}
      rowClick={(id) => `/endpoint/${encodeURIComponent(String(id))}/show`}
      empty={
        <EmptyState
          title="No endpoint takes this message"
          hint="No endpoint of this application matched its event type and channels when it was published."
        />
      }
    >
      <FunctionField
        label="Endpoint"
        render={(record: MessageDestination) => <EndpointLabel name={endpointName(record)} destination={destinationOf(record)} dense />}
      />
      <FunctionField label="Endpoint state" render={(record: MessageDestination) => <EnabledChip disabled={record.disabled} />} />
      <FunctionField label="Delivery" render={(record: MessageDestination) => <StatusChip status={record.statusText} />} />
      <FunctionField label="Next attempt" render={(record: MessageDestination) => <Time value={record.nextAttempt} empty="—" />} />
      <FunctionField
        label=""
        render={(record: MessageDestination) => <ResendButton appId={appId} msgId={msgId} endpointId={record.id} />}
      />
    </Datagrid>
    <CursorPagination />
  </ListBase>
);

const MessageDetails = () => {
  const record = useRecordContext<Message>();
  if (!record) return null;
  return (
    <Box>
      <PageSection title={record.eventType}>
        <Facts
          items={[
            ['Id', <Mono key="id">{record.id}</Mono>],
            ['Event id', record.eventId ? <Mono key="e">{record.eventId}</Mono> : '—'],
            ['Channels', <TagList key="c" items={record.channels} />],
            ['Tags', <TagList key="t" items={record.tags} />],
            ['Published', <Time key="p" value={record.timestamp} />],
            ['Deliver at', record.deliverAt ? <Time key="d" value={record.deliverAt} /> : 'immediately'],
          ]}
        />
      </PageSection>
      <PageSection title="Payload">
        <JsonView label="Payload" value={record.payload} />
      </PageSection>
      <PageSection title="Endpoints" description="Where this message goes, and how each delivery stands">
        <Destinations appId={record.appId} msgId={record.id} />
      </PageSection>
      <PageSection title="Delivery attempts" description="Every attempt to every endpoint, newest first">
        <AttemptTable appId={record.appId} msgId={record.id} emptyHint="Attempts appear as soon as Herald delivers the message." />
      </PageSection>
    </Box>
  );
};

const MessageTitle = () => {
  const record = useRecordContext<Message>();
  return <span>{record ? `Message ${record.eventType}` : 'Message'}</span>;
};

export const MessageShow = () => (
  <NeedsApp title="Messages">
    {(appId) => (
      <Show
        component="div"
        queryOptions={{ meta: { appId }, onError: quietLoadError }}
        error={<ShowLoadError />}
        title={<MessageTitle />}
        actions={false}
      >
        <MessageDetails />
      </Show>
    )}
  </NeedsApp>
);

const payloadProblem = (value: unknown) => {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed = JSON.parse(value);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? undefined : 'The payload must be a JSON object';
  } catch (error) {
    return `Not valid JSON: ${error instanceof Error ? error.message : 'parse error'}`;
  }
};

const NAME_RULE = regex(/^[a-zA-Z0-9\-_.]+$/, 'Letters, digits, "-", "_" and "." only');

export const MessageCreate = () => (
  <NeedsApp title="Messages">
    {(appId) => (
      <Create
        title="Publish a message"
        redirect="show"
        mutationOptions={{ meta: { appId } }}
        transform={(data: Record<string, unknown>) => ({
          ...data,
          payload: JSON.parse(String(data.payload)),
          channels: Array.isArray(data.channels) && data.channels.length ? data.channels : null,
        })}
      >
        <SimpleForm defaultValues={{ payload: '{\n  "example": true\n}' }}>
          <Typography variant="body2" color="text.secondary">
            Published to the current application ({appId}) and delivered to every endpoint that takes its event type.
          </Typography>
          <TextInput source="eventType" label="Event type" validate={[required(), NAME_RULE]} helperText="e.g. invoice.paid" />
          <TextInput
            source="payload"
            label="Payload (JSON)"
            multiline
            minRows={8}
            validate={[required(), payloadProblem]}
            sx={{ '& textarea': { fontFamily: 'monospace', fontSize: 13 } }}
          />
          <TextInput source="eventId" label="Event id" helperText="Optional; a second message with the same event id is deduplicated" />
          <TextArrayInput source="channels" label="Channels" />
        </SimpleForm>
      </Create>
    )}
  </NeedsApp>
);

import ReplayIcon from '@mui/icons-material/Replay';
import ReplayAllIcon from '@mui/icons-material/ReplayCircleFilled';
import { Box, CircularProgress, Tooltip, Typography } from '@mui/material';
import { useState } from 'react';
import {
  AutocompleteInput,
  Button,
  Confirm,
  Datagrid,
  DateTimeInput,
  FunctionField,
  List,
  ReferenceField,
  ReferenceInput,
  TextInput,
  TopToolbar,
  useListContext,
  useNavigate,
  useNotify,
  useRefresh,
} from 'react-admin';
import { api } from '../api';
import { CursorPagination } from '../components/CursorPagination';
import { EventTypeInput } from '../components/EventTypeInput';
import { EndpointLabel, endpointName, shortUrl } from '../components/endpointName';
import { Mono, TimeField } from '../components/fields';
import { EmptyState, errorMessage, ListLoadError, NoMatches } from '../components/states';
import type { DeadLetter, Endpoint, ReplayFilter, ReplayTask } from '../data/types';
import { NeedsApp } from '../layout/NeedsApp';
import { destinationOf } from './endpoints/EndpointTable';

const enc = encodeURIComponent;

const deadLetterFilters = (appId: string) => [
  <ReferenceInput key="ep" source="endpointId" reference="endpoint" perPage={250} queryOptions={{ meta: { appId } }} alwaysOn>
    <AutocompleteInput
      label="Endpoint"
      optionText={(endpoint: Endpoint) => `${endpointName(endpoint)} — ${shortUrl(destinationOf(endpoint), 40)}`}
      sx={{ minWidth: 260 }}
    />
  </ReferenceInput>,
  <EventTypeInput key="et" source="eventTypes" appId={appId} label="Event types" sx={{ minWidth: 220 }} alwaysOn />,
  <TextInput key="reason" source="reason" label="Failure reason" helperText="Contains, e.g. 503 or timeout" alwaysOn />,
  <DateTimeInput key="after" source="after" label="Published after" />,
  <DateTimeInput key="before" source="before" label="Published before" />,
];

const toIso = (value: unknown) => {
  if (!value) return undefined;
  const date = new Date(value as string);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};

/** The list's filters as the bulk replay's body (`DeadLetterReplayIn`). */
export function replayFilterOf(filterValues: Record<string, unknown>): ReplayFilter {
  const filter: ReplayFilter = {};
  if (typeof filterValues.endpointId === 'string' && filterValues.endpointId) filter.endpointId = filterValues.endpointId;
  if (Array.isArray(filterValues.eventTypes) && filterValues.eventTypes.length) filter.eventTypes = filterValues.eventTypes.map(String);
  const since = toIso(filterValues.after);
  const until = toIso(filterValues.before);
  if (since) filter.since = since;
  if (until) filter.until = until;
  if (typeof filterValues.reason === 'string' && filterValues.reason.trim()) filter.reason = filterValues.reason.trim();
  return filter;
}

export function describeReplayFilter(filter: ReplayFilter): string {
  const parts: string[] = [];
  if (filter.endpointId) parts.push(`endpoint ${filter.endpointId}`);
  if (filter.eventTypes?.length) parts.push(`event types ${filter.eventTypes.join(', ')}`);
  if (filter.since) parts.push(`published after ${new Date(filter.since).toLocaleString()}`);
  if (filter.until) parts.push(`published before ${new Date(filter.until).toLocaleString()}`);
  if (filter.reason) parts.push(`reason contains “${filter.reason}”`);
  return parts.length ? parts.join('; ') : 'every dead letter of this application';
}

/** "Replay all matching": a tracked bulk replay of what the filters match, then its progress page. */
const ReplayAllButton = ({ appId }: { appId: string }) => {
  const { filterValues, data } = useListContext<DeadLetter>();
  const notify = useNotify();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const filter = replayFilterOf(filterValues ?? {});
  const start = async () => {
    setBusy(true);
    try {
      const task = await api<ReplayTask>(`/app/${enc(appId)}/dead-letter/replay`, { method: 'POST', body: JSON.stringify(filter) });
      notify(`Replay started: ${task.total} dead letter${task.total === 1 ? '' : 's'} to send again`, { type: 'success' });
      navigate(`/replay/${enc(task.id)}/show`);
    } catch (error) {
      notify(errorMessage(error), { type: 'error' });
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  return (
    <>
      <Button label="Replay all matching" onClick={() => setConfirming(true)} disabled={busy || !data?.length} variant="contained">
        <ReplayAllIcon />
      </Button>
      <Confirm
        isOpen={confirming}
        loading={busy}
        title="Replay every matching dead letter?"
        content={`Herald sends them again in the background, 200 at a time, as manual attempts: ${describeReplayFilter(filter)}. You can follow and cancel the job.`}
        confirm="Start replay"
        onConfirm={start}
        onClose={() => setConfirming(false)}
      />
    </>
  );
};

/** "Replay" one dead letter: `POST …/dead-letter/{delivery_id}/replay`. */
const ReplayOneButton = ({ record }: { record: DeadLetter }) => {
  const notify = useNotify();
  const refresh = useRefresh();
  const [busy, setBusy] = useState(false);
  const replay = async (event: React.MouseEvent) => {
    event.stopPropagation();
    setBusy(true);
    try {
      await api(`/app/${enc(record.appId)}/dead-letter/${enc(record.id)}/replay`, { method: 'POST' });
      notify('Queued: sending it again now', { type: 'success' });
      setTimeout(refresh, 1000);
    } catch (error) {
      notify(errorMessage(error), { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button label="Replay" onClick={replay} disabled={busy} size="small">
      {busy ? <CircularProgress size={14} /> : <ReplayIcon />}
    </Button>
  );
};

const NoDeadLetters = () => (
  <EmptyState
    title="No dead letters"
    hint="Deliveries that exhausted every retry land here, ready to be replayed. Nothing has failed for good in this application."
  />
);

export const DeadLetterList = () => (
  <NeedsApp title="Dead letters">
    {(appId) => (
      <List
        pagination={<CursorPagination />}
        title="Dead letters"
        filter={{ appId }}
        queryOptions={{ meta: { appId } }}
        filters={deadLetterFilters(appId)}
        perPage={25}
        empty={<NoDeadLetters />}
        error={<ListLoadError />}
        actions={
          <TopToolbar>
            <ReplayAllButton appId={appId} />
          </TopToolbar>
        }
      >
        <Datagrid
          bulkActionButtons={false}
          rowClick={(_id, _resource, record) => `/msg/${enc(String(record.messageId))}/show`}
          empty={<NoMatches what="dead letters" />}
        >
          <FunctionField
            label="Message"
            render={(record: DeadLetter) => (
              <Box>
                <Typography variant="body2">{record.eventType}</Typography>
                <Mono>{record.messageId}</Mono>
              </Box>
            )}
          />
          <ReferenceField source="endpointId" reference="endpoint" label="Endpoint" link="show" queryOptions={{ meta: { appId } }}>
            <FunctionField
              render={(endpoint: Endpoint) => <EndpointLabel name={endpointName(endpoint)} destination={destinationOf(endpoint)} dense />}
            />
          </ReferenceField>
          <FunctionField label="Attempts" render={(record: DeadLetter) => record.attemptCount} />
          <TimeField source="lastAttemptAt" label="Last attempt" sortable={false} />
          <FunctionField
            label="Failure reason"
            render={(record: DeadLetter) => (
              <Tooltip title={record.reason ?? ''}>
                <Typography variant="body2" sx={{ maxWidth: 320, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                  {record.reason ?? '—'}
                </Typography>
              </Tooltip>
            )}
          />
          <FunctionField label="" render={(record: DeadLetter) => <ReplayOneButton record={record} />} />
        </Datagrid>
      </List>
    )}
  </NeedsApp>
);

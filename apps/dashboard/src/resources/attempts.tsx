import ReplayIcon from '@mui/icons-material/Replay';
import { Box, Chip, CircularProgress, Stack, Typography } from '@mui/material';
import { useState } from 'react';
import { Button, Datagrid, FunctionField, ListBase, ReferenceField, Title, useGetOne, useNotify, useParams, useRefresh } from 'react-admin';
import { api } from '../api';
import { CursorPagination } from '../components/CursorPagination';
import { EndpointLabel, endpointName } from '../components/endpointName';
import { DurationText, HttpCode, Mono, StatusChip, StatusField, Time, TimeField } from '../components/fields';
import { JsonView } from '../components/JsonView';
import { Facts, PageSection } from '../components/PageSection';
import { EmptyState, errorMessage, ListErrorNotice, LoadError } from '../components/states';
import { useCurrentAppId } from '../currentApp';
import type { Attempt, Endpoint, Message } from '../data/types';
import { destinationOf } from './endpoints/EndpointTable';

const enc = encodeURIComponent;

/**
 * "Replay" one delivery: resend the message to the endpoint now, as a manual
 * attempt (`POST …/msg/{msg}/endpoint/{endpoint}/resend`). Receivers dedupe on
 * the unchanged webhook-id.
 */
export const ResendButton = ({
  appId,
  msgId,
  endpointId,
  label = 'Replay',
}: {
  appId: string;
  msgId: string;
  endpointId: string;
  label?: string;
}) => {
  const notify = useNotify();
  const refresh = useRefresh();
  const [busy, setBusy] = useState(false);
  const resend = async (event: React.MouseEvent) => {
    event.stopPropagation();
    setBusy(true);
    try {
      await api(`/app/${enc(appId)}/msg/${enc(msgId)}/endpoint/${enc(endpointId)}/resend`, { method: 'POST' });
      notify('Queued: the message is being sent to this endpoint again', { type: 'success' });
      setTimeout(refresh, 1500);
    } catch (error) {
      notify(errorMessage(error), { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button label={label} onClick={resend} disabled={busy} size="small">
      {busy ? <CircularProgress size={14} /> : <ReplayIcon />}
    </Button>
  );
};

const TRIGGERS = ['scheduled', 'manual'];
export const TriggerText = ({ trigger }: { trigger: number }) => <span>{TRIGGERS[trigger] ?? 'scheduled'}</span>;

/**
 * Delivery attempts, newest first: of one message (`msgId`) or to one endpoint
 * (`endpointId`). A row opens the attempt; "Replay" resends that delivery.
 */
export const AttemptTable = ({
  appId,
  msgId,
  endpointId,
  emptyHint,
}: {
  appId: string;
  msgId?: string;
  endpointId?: string;
  emptyHint?: string;
}) => {
  const filter = msgId ? { appId, msgId } : { appId, endpointId };
  return (
    <ListBase resource="attempt" filter={filter} perPage={20} disableSyncWithLocation queryOptions={{ meta: { appId } }}>
      <ListErrorNotice />
      <Datagrid
        bulkActionButtons={false}
        rowClick={(_id, _resource, record) => `/msg/${enc(String(record.msgId))}/attempt/${enc(String(record.id))}`}
        empty={<EmptyState title="No delivery attempts yet" hint={emptyHint} />}
      >
        <StatusField label="Status" sortable={false} />
        <FunctionField label="HTTP" render={(record: Attempt) => <HttpCode code={record.responseStatusCode} />} />
        <FunctionField label="Duration" render={(record: Attempt) => <DurationText ms={record.responseDurationMs} />} />
        {msgId ? (
          <ReferenceField source="endpointId" reference="endpoint" label="Endpoint" link="show" queryOptions={{ meta: { appId } }}>
            <FunctionField
              render={(endpoint: Endpoint) => <EndpointLabel name={endpointName(endpoint)} destination={destinationOf(endpoint)} dense />}
            />
          </ReferenceField>
        ) : (
          <FunctionField
            label="Message"
            render={(record: Attempt) => (
              <Box>
                <Typography variant="body2">{record.msg?.eventType ?? '—'}</Typography>
                <Mono>{record.msgId}</Mono>
              </Box>
            )}
          />
        )}
        <FunctionField label="Trigger" render={(record: Attempt) => <TriggerText trigger={record.triggerType} />} />
        <TimeField source="timestamp" label="When" sortable={false} />
        <FunctionField
          label=""
          render={(record: Attempt) => <ResendButton appId={appId} msgId={record.msgId} endpointId={record.endpointId} />}
        />
      </Datagrid>
      <CursorPagination />
    </ListBase>
  );
};

/** `#/msg/:msgId/attempt/:attemptId`: one attempt as recorded, with the request it answered. */
export const AttemptShow = () => {
  const { msgId = '', attemptId = '' } = useParams<{ msgId: string; attemptId: string }>();
  const appId = useCurrentAppId();
  const attempt = useGetOne<Attempt>('attempt', { id: attemptId, meta: { appId, msgId } }, { enabled: !!appId });
  const message = useGetOne<Message>('msg', { id: msgId, meta: { appId } }, { enabled: !!appId });
  const endpoint = useGetOne<Endpoint>(
    'endpoint',
    { id: attempt.data?.endpointId ?? '', meta: { appId } },
    { enabled: !!appId && !!attempt.data?.endpointId },
  );

  if (!appId) return <LoadError error={new Error('Choose an application first')} />;
  if (attempt.error) return <LoadError error={attempt.error} />;
  if (attempt.isPending) {
    return (
      <Box sx={{ p: 4, textAlign: 'center' }}>
        <CircularProgress aria-label="Loading" />
      </Box>
    );
  }
  const record = attempt.data;
  return (
    <Box>
      <Title title={`Attempt ${record.id}`} />
      <PageSection
        title="Delivery attempt"
        actions={<ResendButton appId={appId} msgId={record.msgId} endpointId={record.endpointId} />}
        description={
          <>
            Message{' '}
            <Box component="a" href={`#/msg/${enc(record.msgId)}/show`}>
              {record.msgId}
            </Box>{' '}
            to endpoint{' '}
            <Box component="a" href={`#/endpoint/${enc(record.endpointId)}/show`}>
              {endpoint.data ? destinationOf(endpoint.data) : record.endpointId}
            </Box>
          </>
        }
      >
        <Facts
          items={[
            ['Status', <StatusChip key="s" status={record.statusText} final={record.final} />],
            ['Attempt id', <Mono key="id">{record.id}</Mono>],
            ['When', <Time key="t" value={record.timestamp} />],
            ['Trigger', <TriggerText key="tr" trigger={record.triggerType} />],
          ]}
        />
      </PageSection>
      <PageSection title="Request" description="What Herald sent. The body is the message payload, signed byte for byte.">
        <Facts
          items={[
            ['Method', 'POST'],
            ['URL', <Mono key="u">{record.url || (endpoint.data ? destinationOf(endpoint.data) : '—')}</Mono>],
            [
              'Headers',
              <Stack key="h" spacing={0.25}>
                <Mono>content-type: application/json</Mono>
                <Mono>webhook-id: {record.msgId}</Mono>
                <Mono>webhook-timestamp: (the attempt's time, in seconds)</Mono>
                <Mono>webhook-signature: v1,… (HMAC-SHA256 with the endpoint's secret)</Mono>
                <Typography variant="caption" color="text.secondary">
                  Herald does not store the exact request headers; these are the ones every delivery carries, plus the endpoint's custom
                  headers.
                </Typography>
              </Stack>,
            ],
          ]}
        />
        <Typography variant="subtitle2" sx={{ mt: 2, mb: 1 }}>
          Body
        </Typography>
        {message.error ? <LoadError error={message.error} /> : <JsonView label="Request body" value={message.data?.payload} />}
      </PageSection>
      <PageSection
        title="Response"
        description="As recorded: the status, the time to answer and the first KiB of the body (or why there was none)."
      >
        <Facts
          items={[
            ['Status code', <HttpCode key="c" code={record.responseStatusCode} />],
            ['Duration', <DurationText key="d" ms={record.responseDurationMs} />],
            [
              'Outcome',
              record.statusText === 'success' ? <Chip key="o" size="small" color="success" label="2xx: delivered" /> : 'not delivered',
            ],
          ]}
        />
        <Typography variant="subtitle2" sx={{ mt: 2, mb: 1 }}>
          Body
        </Typography>
        <JsonView label="Response body" value={record.response} />
      </PageSection>
    </Box>
  );
};

import DeleteIcon from '@mui/icons-material/DeleteOutlined';
import PauseIcon from '@mui/icons-material/PauseCircleOutlined';
import PlayIcon from '@mui/icons-material/PlayCircleOutlined';
import SendIcon from '@mui/icons-material/Send';
import {
  Autocomplete,
  Box,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  IconButton,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Button, Confirm, useGetList, useNotify, useRecordContext, useRefresh, useUpdate } from 'react-admin';
import { api } from '../../api';
import { Mono } from '../../components/fields';
import { errorMessage, LoadError } from '../../components/states';
import type { Endpoint, EventType, Message } from '../../data/types';

const enc = encodeURIComponent;
const endpointPath = (endpoint: Pick<Endpoint, 'appId' | 'id'>) => `/app/${enc(endpoint.appId)}/endpoint/${enc(endpoint.id)}`;

/** "Disable" / "Enable": PATCH `disabled`, with a confirmation before cutting deliveries off. */
export const ToggleDisabledButton = () => {
  const record = useRecordContext<Endpoint>();
  const notify = useNotify();
  const [confirming, setConfirming] = useState(false);
  const [update, { isPending }] = useUpdate<Endpoint>();
  if (!record) return null;
  const apply = () =>
    update(
      'endpoint',
      { id: record.id, data: { disabled: !record.disabled }, previousData: record, meta: { appId: record.appId } },
      {
        mutationMode: 'pessimistic',
        onSuccess: () => {
          setConfirming(false);
          notify(record.disabled ? 'Endpoint enabled: deliveries resume' : 'Endpoint disabled: it receives nothing until enabled', {
            type: 'success',
          });
        },
        onError: (error) => {
          setConfirming(false);
          notify(errorMessage(error), { type: 'error' });
        },
      },
    );
  return record.disabled ? (
    <Button label="Enable" onClick={apply} disabled={isPending}>
      <PlayIcon />
    </Button>
  ) : (
    <>
      <Button label="Disable" onClick={() => setConfirming(true)} disabled={isPending}>
        <PauseIcon />
      </Button>
      <Confirm
        isOpen={confirming}
        loading={isPending}
        title="Disable this endpoint?"
        content="It receives nothing until you enable it again; messages published meanwhile are not delivered to it."
        confirm="Yes, disable"
        onConfirm={apply}
        onClose={() => setConfirming(false)}
      />
    </>
  );
};

/** "Send test event": `POST …/send-example` with an event type picked from the catalogue (or typed). */
export const SendTestEventButton = () => {
  const record = useRecordContext<Endpoint>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const [eventType, setEventType] = useState('');
  const [busy, setBusy] = useState(false);
  const { data: eventTypes } = useGetList<EventType>(
    'event-type',
    { pagination: { page: 1, perPage: 250 }, sort: { field: 'name', order: 'ASC' }, filter: {} },
    { enabled: open },
  );
  if (!record) return null;
  const choices = (eventTypes ?? []).map((type) => type.name);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const name = eventType.trim();
    if (!name) return;
    setBusy(true);
    try {
      const message = await api<Message>(`${endpointPath(record)}/send-example`, {
        method: 'POST',
        body: JSON.stringify({ eventType: name }),
      });
      notify(`Test event sent (${message.id}); its attempt appears below in a moment`, { type: 'success' });
      setOpen(false);
      setTimeout(refresh, 1500);
    } catch (error) {
      notify(errorMessage(error), { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button label="Send test event" onClick={() => setOpen(true)}>
        <SendIcon />
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} maxWidth="xs" fullWidth aria-labelledby="send-test-title">
        <Box component="form" onSubmit={submit}>
          <DialogTitle id="send-test-title">Send a test event</DialogTitle>
          <DialogContent>
            <Typography variant="body2" sx={{ mb: 1 }}>
              Herald publishes an example message of this type to this endpoint only.
            </Typography>
            <Autocomplete
              freeSolo
              options={choices}
              inputValue={eventType}
              onInputChange={(_, value) => setEventType(value)}
              renderInput={(params) => <TextField {...params} label="Event type" autoFocus required helperText="e.g. invoice.paid" />}
            />
          </DialogContent>
          <DialogActions>
            <Button label="Close" onClick={() => setOpen(false)} />
            <Button label="Send" type="submit" variant="contained" disabled={busy || !eventType.trim()} />
          </DialogActions>
        </Box>
      </Dialog>
    </>
  );
};

/** The signing secret, hidden until "Reveal secret"; "Rotate secret" after a confirmation. */
export const SecretPanel = () => {
  const record = useRecordContext<Endpoint>();
  const notify = useNotify();
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  if (!record) return null;
  const reveal = async () => {
    setBusy(true);
    try {
      setSecret((await api<{ key: string }>(`${endpointPath(record)}/secret`)).key);
    } catch (error) {
      notify(errorMessage(error), { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  const rotate = async () => {
    setBusy(true);
    try {
      await api(`${endpointPath(record)}/secret/rotate`, { method: 'POST', body: JSON.stringify({}) });
      notify('Secret rotated; the previous secret keeps signing alongside for 24 hours', { type: 'success' });
      if (secret !== null) setSecret((await api<{ key: string }>(`${endpointPath(record)}/secret`)).key);
    } catch (error) {
      notify(errorMessage(error), { type: 'error' });
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  return (
    <Box>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap' }}>
        {secret === null ? (
          <Mono>whsec_••••••••••••••••••••••••</Mono>
        ) : (
          <Box
            component="code"
            data-testid="endpoint-secret"
            sx={{ fontFamily: 'monospace', bgcolor: 'grey.100', px: 1, py: 0.5, borderRadius: 1, wordBreak: 'break-all' }}
          >
            {secret}
          </Box>
        )}
        {secret === null ? (
          <Button label="Reveal secret" onClick={reveal} disabled={busy} />
        ) : (
          <>
            <Button label="Copy" onClick={() => navigator.clipboard?.writeText(secret).then(() => notify('Secret copied'))} />
            <Button label="Hide secret" onClick={() => setSecret(null)} />
          </>
        )}
        <Button label="Rotate secret" onClick={() => setConfirming(true)} disabled={busy} color="warning" />
      </Box>
      <Typography variant="caption" color="text.secondary" component="p" sx={{ mt: 1 }}>
        Receivers verify the webhook-signature header with this secret (Standard Webhooks).
      </Typography>
      <Confirm
        isOpen={confirming}
        loading={busy}
        title="Rotate the signing secret?"
        content="A new secret signs every delivery from now on. The current one keeps signing alongside for 24 hours, so receivers have a day to switch."
        confirm="Yes, rotate"
        confirmColor="warning"
        onConfirm={rotate}
        onClose={() => setConfirming(false)}
      />
    </Box>
  );
};

interface HeadersOut {
  headers: Record<string, string>;
  sensitive: string[];
}

/** Custom headers sent with every delivery; sensitive ones are named, never shown. */
export const HeadersPanel = () => {
  const record = useRecordContext<Endpoint>();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const key = ['endpoint-headers', record?.appId, record?.id];
  const { data, error, isPending } = useQuery({
    queryKey: key,
    queryFn: () => api<HeadersOut>(`${endpointPath(record as Endpoint)}/headers`),
    enabled: !!record,
  });
  if (!record) return null;
  const patch = async (body: { headers: Record<string, string>; deleteHeaders?: string[] }, done: string) => {
    setBusy(true);
    try {
      await api(`${endpointPath(record)}/headers`, { method: 'PATCH', body: JSON.stringify(body) });
      notify(done, { type: 'success' });
      await queryClient.invalidateQueries({ queryKey: key });
      return true;
    } catch (caught) {
      notify(errorMessage(caught), { type: 'error' });
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    if (await patch({ headers: { [name.trim()]: value } }, `Header ${name.trim()} saved`)) {
      setName('');
      setValue('');
    }
  };
  if (error) return <LoadError error={error} />;
  const rows: [string, string | null][] = [
    ...Object.entries(data?.headers ?? {}),
    ...(data?.sensitive ?? []).map((header): [string, null] => [header, null]),
  ];
  return (
    <Box>
      {isPending ? (
        <Typography variant="body2">Loading…</Typography>
      ) : rows.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          No custom headers. Deliveries carry only Herald's own (content-type, webhook-id, webhook-timestamp, webhook-signature).
        </Typography>
      ) : (
        <Table size="small" aria-label="Custom headers">
          <TableHead>
            <TableRow>
              <TableCell>Header</TableCell>
              <TableCell>Value</TableCell>
              <TableCell width={48} />
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map(([header, headerValue]) => (
              <TableRow key={header}>
                <TableCell>
                  <Mono>{header}</Mono>
                </TableCell>
                <TableCell>{headerValue === null ? <em>hidden (sensitive)</em> : <Mono>{headerValue}</Mono>}</TableCell>
                <TableCell>
                  <IconButton
                    size="small"
                    aria-label={`Remove header ${header}`}
                    disabled={busy}
                    onClick={() => patch({ headers: {}, deleteHeaders: [header] }, `Header ${header} removed`)}
                  >
                    <DeleteIcon fontSize="small" />
                  </IconButton>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <Box
        component="form"
        onSubmit={add}
        sx={{ display: 'flex', gap: 1, alignItems: 'center', mt: 1, flexWrap: 'wrap' }}
        aria-label="Add a header"
      >
        <TextField label="Header name" value={name} onChange={(event) => setName(event.target.value)} sx={{ maxWidth: 240 }} />
        <TextField label="Header value" value={value} onChange={(event) => setValue(event.target.value)} sx={{ maxWidth: 360 }} />
        <Button label="Add header" type="submit" disabled={busy || !name.trim()} />
      </Box>
    </Box>
  );
};

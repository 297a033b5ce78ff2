import { Alert, Typography } from '@mui/material';
import {
  BooleanInput,
  FormDataConsumer,
  NumberInput,
  PasswordInput,
  RadioButtonGroupInput,
  required,
  SelectInput,
  SimpleForm,
  type SimpleFormProps,
  TextArrayInput,
  TextInput,
} from 'react-admin';
import { EventTypeInput } from '../../components/EventTypeInput';
import { useCurrentAppId } from '../../currentApp';
import type { EndpointType } from '../../data/types';

const TYPES = [
  { id: 'webhook', name: 'Webhook (signed HTTP POST)' },
  { id: 'kafka', name: 'Kafka' },
  { id: 'queue', name: 'Work queue' },
];

const KafkaSettings = () => (
  <>
    <TextInput source="settings.topic" label="Topic" validate={required()} />
    <TextInput
      source="settings.key"
      label="Key path"
      helperText="Dotted path into the payload used as the message key, e.g. data.customerId (same key, same partition, in order)"
    />
    <TextArrayInput source="settings.brokers" label="Brokers" helperText="host:port; empty uses Herald's own cluster (KAFKA_BROKERS)" />
    <BooleanInput source="settings.ssl" label="TLS" />
    <SelectInput
      source="settings.sasl.mechanism"
      label="SASL mechanism"
      choices={SASL_MECHANISMS}
      emptyText="none"
      helperText="Only for a cluster that asks for a login"
    />
    <FormDataConsumer>
      {({ formData }) =>
        (formData.settings as { sasl?: { mechanism?: string } } | undefined)?.sasl?.mechanism ? (
          <>
            <TextInput source="settings.sasl.username" label="SASL username" validate={required()} />
            <PasswordInput
              source="settings.sasl.password"
              label="SASL password"
              validate={required()}
              helperText="Never shown again once saved: enter it again when you change these settings"
            />
          </>
        ) : null
      }
    </FormDataConsumer>
  </>
);

const SASL_MECHANISMS = [
  { id: 'plain', name: 'PLAIN' },
  { id: 'scram-sha-256', name: 'SCRAM-SHA-256' },
  { id: 'scram-sha-512', name: 'SCRAM-SHA-512' },
];

const QueueSettings = () => (
  <>
    <TextInput source="settings.queue" label="Queue name" validate={required()} />
    <TextInput source="settings.prefix" label="Key prefix" helperText="BullMQ prefix your consumers use (default: bull)" />
    <TextInput source="settings.redisUrl" label="Redis URL" helperText="redis:// or rediss://; empty uses Herald's own" />
  </>
);

const retryScheduleProblem = (value: unknown) => {
  if (value === null || value === undefined || value === '' || Array.isArray(value)) return undefined;
  return parseSchedule(String(value)) ? undefined : 'Seconds between retries, separated by commas, e.g. 5, 300, 1800';
};

function parseSchedule(text: string): number[] | null {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.length === 0) return null;
  const numbers = parts.map(Number);
  return numbers.every((n) => Number.isInteger(n) && n >= 0 && n <= 86_400) ? numbers : null;
}

const compact = (settings: Record<string, unknown> | null | undefined): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(settings ?? {})
      .map(([key, value]): [string, unknown] => {
        // SASL without a mechanism is no SASL at all.
        if (key === 'sasl') {
          const sasl = compact(value as Record<string, unknown> | null);
          return [key, sasl.mechanism ? sasl : undefined];
        }
        return [key, value];
      })
      .filter(
        ([, value]) =>
          value !== undefined && value !== null && value !== '' && value !== false && !(Array.isArray(value) && value.length === 0),
      ),
  );

/** The payload filter as the form edits it: pretty JSON text; empty means "every payload". */
const formatFilter = (value: unknown) => {
  if (value === null || value === undefined || value === '') return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
};

function parseFilter(text: string): { value: Record<string, unknown> | null } | { problem: string } {
  if (text.trim() === '') return { value: null };
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return { problem: 'A filter is a JSON object, e.g. {"data.amount": {"$gte": 100}}' };
    return { value: value as Record<string, unknown> };
  } catch (error) {
    return { problem: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

const filterProblem = (value: unknown) => {
  if (typeof value !== 'string') return undefined;
  const parsed = parseFilter(value);
  return 'problem' in parsed ? parsed.problem : undefined;
};

/** Form values to the API's EndpointIn/EndpointPatch: empty lists mean "none" (null), settings only for their type. */
export function endpointFromForm(data: Record<string, unknown>, mode: 'create' | 'edit'): Record<string, unknown> {
  const type = (data.type as EndpointType | undefined) ?? 'webhook';
  const out: Record<string, unknown> = { ...data, type };
  const emptyList = (value: unknown) => (Array.isArray(value) && value.length > 0 ? value : null);
  out.filterTypes = emptyList(data.filterTypes);
  out.channels = emptyList(data.channels);
  if (typeof data.retrySchedule === 'string') out.retrySchedule = parseSchedule(data.retrySchedule);
  if (typeof data.filter === 'string') {
    const parsed = parseFilter(data.filter);
    out.filter = 'value' in parsed ? parsed.value : data.filter;
  }
  if (type === 'webhook') {
    out.settings = mode === 'edit' ? {} : undefined;
  } else {
    out.settings = compact(data.settings as Record<string, unknown>);
    if (mode === 'create') delete out.url;
  }
  for (const field of ['rateLimit', 'throttleRate'] as const) {
    if (out[field] === '' || out[field] === undefined) out[field] = null;
  }
  if (mode === 'create') {
    for (const [key, value] of Object.entries(out)) if (value === null) delete out[key];
  }
  return out;
}

export const EndpointForm = (props: Omit<SimpleFormProps, 'children'>) => {
  const appId = useCurrentAppId();
  return (
    <SimpleForm {...props} defaultValues={{ type: 'webhook', disabled: false, ...props.defaultValues }}>
      <RadioButtonGroupInput source="type" label="Type" choices={TYPES} validate={required()} />
      <FormDataConsumer>
        {({ formData }) =>
          formData.type === 'kafka' ? (
            <KafkaSettings />
          ) : formData.type === 'queue' ? (
            <QueueSettings />
          ) : (
            <TextInput
              source="url"
              label="URL"
              type="url"
              validate={required()}
              helperText="http:// or https:// address Herald POSTs each event to; use https:// beyond your own network, as http:// sends payloads unencrypted"
            />
          )
        }
      </FormDataConsumer>
      <TextInput source="description" label="Description" helperText="What this endpoint is for, e.g. “billing service”" />
      <EventTypeInput
        source="filterTypes"
        appId={appId}
        label="Event types"
        helperText="Only these event types; empty delivers every event type"
      />
      <TextArrayInput source="channels" label="Channels" helperText="Only messages on these channels (up to 10); empty: any channel" />
      <BooleanInput source="disabled" label="Disabled" helperText="A disabled endpoint receives nothing until enabled again" />
      <Typography variant="subtitle2" sx={{ mt: 2 }}>
        Delivery
      </Typography>
      <TextInput
        source="retrySchedule"
        label="Retry schedule (seconds)"
        format={(value: unknown) => (Array.isArray(value) ? value.join(', ') : ((value as string | null | undefined) ?? ''))}
        parse={(value: string) => value}
        validate={retryScheduleProblem}
        helperText="Empty uses the default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h"
      />
      <TextInput
        source="filter"
        label="Payload filter (JSON)"
        multiline
        minRows={2}
        format={formatFilter}
        parse={(value: string) => value}
        validate={filterProblem}
        helperText='Only payloads matching it, e.g. {"data.amount": {"$gte": 100}} ($eq $neq $gt $gte $lt $lte $in $nin $exists, $and $or $not); empty delivers every payload'
        sx={{ '& textarea': { fontFamily: 'monospace' } }}
      />
      <NumberInput
        source="throttleRate"
        label="Throttle (deliveries/s)"
        min={1}
        helperText="At most this many deliveries per second to this endpoint; empty: unthrottled"
      />
      <BooleanInput source="fifo" label="Ordered delivery (FIFO)" />
      <Alert severity="info" sx={{ mt: 1 }}>
        Webhook endpoints get a signing secret on creation; reveal or rotate it on the endpoint's page.
      </Alert>
    </SimpleForm>
  );
};

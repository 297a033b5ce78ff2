import { Alert, Typography } from '@mui/material';
import {
  AutocompleteArrayInput,
  BooleanInput,
  FormDataConsumer,
  NumberInput,
  RadioButtonGroupInput,
  ReferenceArrayInput,
  required,
  SimpleForm,
  type SimpleFormProps,
  TextArrayInput,
  TextInput,
} from 'react-admin';
import type { EndpointType } from '../../data/types';

const TYPES = [
  { id: 'webhook', name: 'Webhook (HTTPS, signed)' },
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
  </>
);

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

const compact = (settings: Record<string, unknown> | null | undefined) =>
  Object.fromEntries(
    Object.entries(settings ?? {}).filter(
      ([, value]) =>
        value !== undefined && value !== null && value !== '' && value !== false && !(Array.isArray(value) && value.length === 0),
    ),
  );

/** Form values to the API's EndpointIn/EndpointPatch: empty lists mean "none" (null), settings only for their type. */
export function endpointFromForm(data: Record<string, unknown>, mode: 'create' | 'edit'): Record<string, unknown> {
  const type = (data.type as EndpointType | undefined) ?? 'webhook';
  const out: Record<string, unknown> = { ...data, type };
  const emptyList = (value: unknown) => (Array.isArray(value) && value.length > 0 ? value : null);
  out.filterTypes = emptyList(data.filterTypes);
  out.channels = emptyList(data.channels);
  if (typeof data.retrySchedule === 'string') out.retrySchedule = parseSchedule(data.retrySchedule);
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

export const EndpointForm = (props: Omit<SimpleFormProps, 'children'>) => (
  <SimpleForm {...props} defaultValues={{ type: 'webhook', disabled: false, ...props.defaultValues }}>
    <RadioButtonGroupInput source="type" label="Type" choices={TYPES} validate={required()} />
    <FormDataConsumer>
      {({ formData }) =>
        formData.type === 'kafka' ? (
          <KafkaSettings />
        ) : formData.type === 'queue' ? (
          <QueueSettings />
        ) : (
          <TextInput source="url" label="URL" type="url" validate={required()} helperText="https://… where Herald POSTs each event" />
        )
      }
    </FormDataConsumer>
    <TextInput source="description" label="Description" helperText="What this endpoint is for, e.g. “billing service”" />
    <ReferenceArrayInput source="filterTypes" reference="event-type" perPage={250} sort={{ field: 'name', order: 'ASC' }}>
      <AutocompleteArrayInput label="Event types" optionText="name" helperText="Only these event types; empty delivers every event type" />
    </ReferenceArrayInput>
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
    <NumberInput source="throttleRate" label="Throttle (deliveries/s)" min={0} helperText="Empty: unthrottled" />
    <BooleanInput source="fifo" label="Ordered delivery (FIFO)" />
    <Alert severity="info" sx={{ mt: 1 }}>
      Webhook endpoints get a signing secret on creation; reveal or rotate it on the endpoint's page.
    </Alert>
  </SimpleForm>
);

import { Box, Chip, Typography } from '@mui/material';
import { CreateButton, Datagrid, FunctionField, ListBase } from 'react-admin';
import { CursorPagination } from '../../components/CursorPagination';
import { endpointName } from '../../components/endpointName';
import { TagList, TimeField } from '../../components/fields';
import { EmptyState, ListErrorNotice } from '../../components/states';
import type { Endpoint } from '../../data/types';

/** Where an endpoint delivers, in one line: its URL, or its topic/queue. */
export function destinationOf(endpoint: Pick<Endpoint, 'type' | 'url' | 'settings'>): string {
  if (endpoint.type === 'kafka') return `Kafka topic ${String(endpoint.settings?.topic ?? '?')}`;
  if (endpoint.type === 'queue') return `Queue ${String(endpoint.settings?.queue ?? '?')}`;
  return endpoint.url;
}

export const EnabledChip = ({ disabled }: { disabled: boolean }) =>
  disabled ? (
    <Chip size="small" label="Disabled" color="default" variant="outlined" />
  ) : (
    <Chip size="small" label="Enabled" color="success" variant="outlined" />
  );

export const NoEndpoints = ({ create = true }: { create?: boolean }) => (
  <EmptyState
    title="No endpoints yet — create one to start receiving events"
    hint="An endpoint is where this application's events go: a URL (signed webhooks), a Kafka topic or a work queue."
    action={create ? <CreateButton resource="endpoint" variant="contained" label="Create" /> : undefined}
  />
);

/** The endpoints columns, shared by the endpoint list and the application page. */
export const EndpointColumns = () => (
  <Datagrid rowClick={(id) => `/endpoint/${encodeURIComponent(String(id))}/show`} bulkActionButtons={false} empty={<NoEndpoints />}>
    <FunctionField
      label="Endpoint"
      render={(record: Endpoint) => (
        <Box data-testid="endpoint-row" data-endpoint-id={record.id}>
          <Typography variant="body2" sx={{ fontWeight: 500 }} data-testid="endpoint-row-name">
            {endpointName(record)}
          </Typography>
          {/* In full, wrapped: endpoints of one service often differ only at the end of the URL. */}
          <Typography
            variant="caption"
            color="text.secondary"
            component="div"
            sx={{ fontFamily: record.type === 'webhook' ? 'monospace' : undefined, wordBreak: 'break-all' }}
          >
            {destinationOf(record)}
          </Typography>
        </Box>
      )}
    />
    <FunctionField label="Type" render={(record: Endpoint) => record.type} />
    <FunctionField label="Status" render={(record: Endpoint) => <EnabledChip disabled={record.disabled} />} />
    <FunctionField label="Event types" render={(record: Endpoint) => <TagList items={record.filterTypes} empty="all" />} />
    <TimeField source="createdAt" label="Created" sortable={false} />
  </Datagrid>
);

/** An application's endpoints, embedded in another page. */
export const EndpointTable = ({ appId }: { appId: string }) => (
  <ListBase resource="endpoint" filter={{ appId }} perPage={25} disableSyncWithLocation queryOptions={{ meta: { appId } }}>
    <ListErrorNotice />
    <EndpointColumns />
    <CursorPagination />
  </ListBase>
);

import { Chip, Stack } from '@mui/material';
import {
  BooleanInput,
  Create,
  CreateButton,
  Datagrid,
  DeleteButton,
  Edit,
  FunctionField,
  List,
  regex,
  required,
  SaveButton,
  SimpleForm,
  TextField,
  TextInput,
  Toolbar,
  TopToolbar,
  useRecordContext,
} from 'react-admin';
import { CursorPagination } from '../components/CursorPagination';
import { TimeField } from '../components/fields';
import { EditLoadError, EmptyState, ListLoadError, NoMatches, quietLoadError } from '../components/states';
import type { EventType } from '../data/types';

const NAME_RULE = regex(/^[a-zA-Z0-9\-_.]+$/, 'Letters, digits, "-", "_" and "." only, e.g. invoice.paid');

const NoEventTypes = () => (
  <EmptyState
    title="No event types yet"
    hint="Event types name what happens (invoice.paid, user.created). Endpoints subscribe to them; a JSON Schema per type validates payloads."
    action={<CreateButton variant="contained" label="Create" />}
  />
);

const filters = [<BooleanInput key="a" source="includeArchived" label="Include archived" alwaysOn />];

export const EventTypeList = () => (
  <List
    pagination={<CursorPagination />}
    title="Event types"
    perPage={50}
    filters={filters}
    empty={<NoEventTypes />}
    error={<ListLoadError />}
    actions={
      <TopToolbar>
        <CreateButton label="Create" />
      </TopToolbar>
    }
  >
    <Datagrid rowClick="edit" bulkActionButtons={false} empty={<NoMatches what="event types" />}>
      <TextField source="name" sortable={false} sx={{ fontFamily: 'monospace' }} />
      <TextField source="description" sortable={false} emptyText="—" />
      <TextField source="groupName" label="Group" sortable={false} emptyText="—" />
      <FunctionField
        label="State"
        render={(record: EventType) => (
          <Stack direction="row" spacing={0.5}>
            {record.archived && <Chip size="small" label="Archived" variant="outlined" />}
            {record.deprecated && <Chip size="small" label="Deprecated" color="warning" variant="outlined" />}
            {!record.archived && !record.deprecated && <Chip size="small" label="Active" color="success" variant="outlined" />}
          </Stack>
        )}
      />
      <TimeField source="updatedAt" label="Updated" sortable={false} />
    </Datagrid>
  </List>
);

/** Schemas are edited as JSON text: `{"1": {…JSON Schema…}}`, one schema per version. */
const formatSchemas = (value: unknown) => (typeof value === 'string' ? value : value ? JSON.stringify(value, null, 2) : '');

const schemasProblem = (value: unknown) => {
  if (typeof value !== 'string' || !value.trim()) return undefined;
  try {
    const parsed = JSON.parse(value);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      return 'Must be a JSON object of versions, e.g. {"1": {"type": "object"}}';
    return undefined;
  } catch (error) {
    return `Not valid JSON: ${error instanceof Error ? error.message : 'parse error'}`;
  }
};

function fromForm(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...data };
  if (typeof data.schemas === 'string') out.schemas = data.schemas.trim() ? JSON.parse(data.schemas) : null;
  if (data.groupName === '') out.groupName = null;
  if (out.description === undefined || out.description === null) out.description = '';
  return out;
}

const SchemasInput = () => (
  <TextInput
    source="schemas"
    label="Schemas (JSON)"
    multiline
    minRows={6}
    format={formatSchemas}
    parse={(value: string) => value}
    validate={schemasProblem}
    helperText='JSON Schema per version, e.g. {"1": {"type": "object", "required": ["id"]}}; empty: payloads are not validated'
    sx={{ '& textarea': { fontFamily: 'monospace', fontSize: 13 } }}
  />
);

export const EventTypeCreate = () => (
  <Create title="Create an event type" redirect="list" transform={fromForm}>
    <SimpleForm defaultValues={{ description: '' }}>
      <TextInput source="name" label="Name" validate={[required(), NAME_RULE]} helperText="e.g. invoice.paid" />
      <TextInput source="description" label="Description" />
      <TextInput source="groupName" label="Group" helperText="Optional, to group types in lists" />
      <SchemasInput />
    </SimpleForm>
  </Create>
);

const EventTypeTitle = () => {
  const record = useRecordContext<EventType>();
  return <span>Event type {record?.name}</span>;
};

const EditToolbar = () => {
  const record = useRecordContext<EventType>();
  return (
    <Toolbar sx={{ justifyContent: 'space-between' }}>
      <SaveButton label="Save" />
      {record && !record.archived && (
        <DeleteButton
          label="Archive"
          mutationMode="pessimistic"
          redirect="list"
          confirmTitle="Archive this event type?"
          confirmContent="Publishing it keeps working; it is hidden from lists and pickers. Unarchive it by saving it with Archived off."
        />
      )}
    </Toolbar>
  );
};

export const EventTypeEdit = () => (
  <Edit
    mutationMode="pessimistic"
    redirect="list"
    transform={fromForm}
    queryOptions={{ onError: quietLoadError }}
    error={<EditLoadError />}
    title={<EventTypeTitle />}
  >
    <SimpleForm toolbar={<EditToolbar />}>
      <TextInput source="name" label="Name" disabled helperText="The name is the event type's identity and cannot change" />
      <TextInput source="description" label="Description" />
      <TextInput source="groupName" label="Group" />
      <BooleanInput source="deprecated" label="Deprecated" helperText="Still delivered; shown as deprecated to subscribers" />
      <BooleanInput source="archived" label="Archived" />
      <SchemasInput />
    </SimpleForm>
  </Edit>
);

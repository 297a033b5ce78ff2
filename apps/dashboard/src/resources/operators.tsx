import { Chip } from '@mui/material';
import {
  Create,
  CreateButton,
  Datagrid,
  DeleteButton,
  email,
  FunctionField,
  List,
  minLength,
  required,
  SelectInput,
  SimpleForm,
  TextField,
  TextInput,
  TopToolbar,
  useGetIdentity,
} from 'react-admin';
import type { Operator } from '../api';
import { CursorPagination } from '../components/CursorPagination';
import { TimeField } from '../components/fields';
import { EmptyState, ListLoadError } from '../components/states';

const ROLES = [
  { id: 'member', name: 'Member: watch, triage, replay, manage endpoints' },
  { id: 'admin', name: 'Admin: also manage operators and API keys' },
];

/** Removing oneself would end one's own session mid-click; the button is not offered. */
const RemoveButton = ({ record }: { record: Operator }) => {
  const { identity } = useGetIdentity();
  if (identity?.id === record.id) return <Chip size="small" label="You" variant="outlined" />;
  return (
    <DeleteButton
      record={record}
      label="Remove"
      mutationMode="pessimistic"
      confirmTitle={`Remove ${record.email}?`}
      confirmContent="Their sessions stop working within a second. They can be added again later."
      redirect={false}
    />
  );
};

export const OperatorList = () => (
  <List
    pagination={<CursorPagination />}
    title="Operators"
    perPage={50}
    error={<ListLoadError />}
    empty={<EmptyState title="No other operators" action={<CreateButton variant="contained" label="Create" />} />}
    actions={
      <TopToolbar>
        <CreateButton label="Create" />
      </TopToolbar>
    }
  >
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <TextField source="email" sortable={false} />
      <FunctionField
        label="Role"
        render={(record: Operator) => (
          <Chip size="small" label={record.role} color={record.role === 'admin' ? 'primary' : 'default'} variant="outlined" />
        )}
      />
      <TimeField source="lastLoginAt" label="Last sign-in" empty="never" sortable={false} />
      <TimeField source="createdAt" label="Added" sortable={false} />
      <FunctionField label="" render={(record: Operator) => <RemoveButton record={record} />} />
    </Datagrid>
  </List>
);

export const OperatorCreate = () => (
  <Create title="Add an operator" redirect="list">
    <SimpleForm defaultValues={{ role: 'member' }}>
      <TextInput source="email" label="Email" type="email" validate={[required(), email()]} />
      <TextInput
        source="password"
        type="password"
        autoComplete="new-password"
        label="Password"
        validate={[required(), minLength(12, 'At least 12 characters')]}
        helperText="At least 12 characters; share it with them over a channel you trust"
      />
      <SelectInput source="role" label="Role" choices={ROLES} validate={required()} />
    </SimpleForm>
  </Create>
);

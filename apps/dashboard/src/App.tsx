import {
  Admin,
  Create,
  Datagrid,
  DateField,
  List,
  Resource,
  required,
  Show,
  SimpleForm,
  SimpleShowLayout,
  TextField,
  TextInput,
} from 'react-admin';
import { authProvider, dataProvider } from './providers';

const ApplicationList = () => (
  <List pagination={false} empty={false}>
    <Datagrid rowClick="show" bulkActionButtons={false}>
      <TextField source="name" />
      <TextField source="uid" emptyText="—" />
      <TextField source="id" />
      <DateField source="createdAt" showTime />
    </Datagrid>
  </List>
);

const ApplicationShow = () => (
  <Show>
    <SimpleShowLayout>
      <TextField source="id" />
      <TextField source="name" />
      <TextField source="uid" emptyText="—" />
      <DateField source="createdAt" showTime />
      <DateField source="updatedAt" showTime />
    </SimpleShowLayout>
  </Show>
);

const ApplicationCreate = () => (
  <Create redirect="show">
    <SimpleForm>
      <TextInput source="name" validate={required()} />
      <TextInput source="uid" helperText="Optional alias usable wherever the id is" />
    </SimpleForm>
  </Create>
);

/** Sign in with an API key in the password field; the username is ignored. */
export const App = () => (
  <Admin title="Herald" dataProvider={dataProvider} authProvider={authProvider} requireAuth>
    <Resource name="app" options={{ label: 'Applications' }} list={ApplicationList} show={ApplicationShow} create={ApplicationCreate} />
  </Admin>
);

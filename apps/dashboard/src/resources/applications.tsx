import OpenInNewIcon from '@mui/icons-material/OpenInNew';
import {
  Alert,
  Box,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Link as MuiLink,
  TextField as MuiTextField,
  Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import {
  Button,
  Create,
  CreateButton,
  Datagrid,
  DeleteButton,
  Edit,
  EditButton,
  List,
  NumberInput,
  required,
  SaveButton,
  Show,
  SimpleForm,
  TextField,
  TextInput,
  Toolbar,
  TopToolbar,
  useNotify,
  useRecordContext,
} from 'react-admin';
import { api } from '../api';
import { CursorPagination } from '../components/CursorPagination';
import { IdField, Mono, Time, TimeField } from '../components/fields';
import { Facts, PageSection } from '../components/PageSection';
import { EditLoadError, EmptyState, errorMessage, ListLoadError, NoMatches, quietLoadError, ShowLoadError } from '../components/states';
import { currentApp } from '../currentApp';
import { recordIdOf } from '../data/dataProvider';
import type { Application } from '../data/types';
import { EndpointHealthTiles } from '../live';
import { EndpointTable } from './endpoints/EndpointTable';

const NoApplications = () => (
  <EmptyState
    title="No applications yet"
    hint="An application is one of your customers: it owns the endpoints that receive its events. Create one to start sending webhooks."
    action={<CreateButton variant="contained" label="Create" />}
  />
);

export const ApplicationList = () => (
  <List
    pagination={<CursorPagination />}
    title="Applications"
    perPage={25}
    sort={{ field: 'createdAt', order: 'DESC' }}
    empty={<NoApplications />}
    error={<ListLoadError />}
    actions={
      <TopToolbar>
        <CreateButton label="Create" />
      </TopToolbar>
    }
  >
    <Datagrid rowClick="show" bulkActionButtons={false} empty={<NoMatches what="applications" />}>
      <TextField source="name" sortable={false} />
      <TextField source="uid" label="UID" emptyText="—" sortable={false} />
      <IdField source="id" label="Id" sortable={false} />
      <TimeField source="createdAt" label="Created" sortable={false} />
    </Datagrid>
  </List>
);

/** Issues an app-scoped portal link for this application's subscriber. */
const PortalLinkButton = () => {
  const record = useRecordContext<Application>();
  const notify = useNotify();
  const [url, setUrl] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!record) return null;
  const issue = async () => {
    setBusy(true);
    try {
      const result = await api<{ token: string; url: string }>(`/auth/app-portal-access/${encodeURIComponent(record.id)}`, {
        method: 'POST',
        body: JSON.stringify({}),
      });
      setUrl(result.url);
    } catch (error) {
      notify(errorMessage(error), { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button label="App portal link" onClick={issue} disabled={busy}>
        <OpenInNewIcon />
      </Button>
      <Dialog open={url !== null} onClose={() => setUrl(null)} maxWidth="sm" fullWidth aria-labelledby="portal-link-title">
        <DialogTitle id="portal-link-title">App portal link for {record.name}</DialogTitle>
        <DialogContent>
          <Typography variant="body2" sx={{ mb: 2 }}>
            Whoever opens this link can manage this application's endpoints and see its messages and delivery attempts, for 7 days. It is
            shown once: send it to the application's owner over a channel you trust.
          </Typography>
          <MuiTextField label="Portal link" value={url ?? ''} fullWidth multiline slotProps={{ input: { readOnly: true } }} />
        </DialogContent>
        <DialogActions>
          <Button label="Copy" onClick={() => url && navigator.clipboard?.writeText(url).then(() => notify('Link copied'))} />
          {url && (
            <MuiLink href={url} target="_blank" rel="noopener noreferrer" sx={{ mx: 1 }}>
              Open portal
            </MuiLink>
          )}
          <Button label="Close" onClick={() => setUrl(null)} />
        </DialogActions>
      </Dialog>
    </>
  );
};

const ApplicationShowActions = () => (
  <TopToolbar>
    <PortalLinkButton />
    <EditButton />
    <DeleteButton
      mutationMode="pessimistic"
      confirmTitle="Delete this application?"
      confirmContent="Its endpoints, messages and delivery history are deleted with it. This cannot be undone."
    />
  </TopToolbar>
);

const ApplicationDetails = () => {
  const record = useRecordContext<Application>();
  // Opening an application makes it the current one: its endpoint links below resolve in it.
  useEffect(() => {
    if (record?.id) currentApp.set(recordIdOf(record));
  }, [record]);
  if (!record) return null;
  const metadata = Object.entries(record.metadata ?? {});
  return (
    <Box>
      <PageSection title={record.name}>
        <Facts
          items={[
            // Opened by uid (`#/app/acme/show`), react-admin's id is that uid; the application's own id is kept beside it.
            ['Id', <Mono key="id">{recordIdOf(record)}</Mono>],
            ['UID', record.uid ? <Mono key="uid">{record.uid}</Mono> : '—'],
            ['Rate limit', record.rateLimit ? `${record.rateLimit} messages/s` : 'none'],
            ['Throttle', record.throttleRate ? `${record.throttleRate} deliveries/s per endpoint` : 'none'],
            ['Metadata', metadata.length ? metadata.map(([key, value]) => `${key}=${value}`).join(', ') : '—'],
            ['Created', <Time key="c" value={record.createdAt} />],
            ['Updated', <Time key="u" value={record.updatedAt} />],
          ]}
        />
      </PageSection>
      <PageSection title="Endpoint health" description="Live success rate and latency of each endpoint">
        <EndpointHealthTiles appId={record.id} />
      </PageSection>
      <PageSection title="Endpoints" actions={<CreateButton resource="endpoint" label="Create" />}>
        <EndpointTable appId={record.id} />
      </PageSection>
    </Box>
  );
};

export const ApplicationShow = () => (
  <Show
    actions={<ApplicationShowActions />}
    component="div"
    queryOptions={{ onError: quietLoadError }}
    error={<ShowLoadError />}
    title={<AppTitle />}
  >
    <ApplicationDetails />
  </Show>
);

const AppTitle = () => {
  const record = useRecordContext<Application>();
  return <span>{record ? `Application ${record.name}` : 'Application'}</span>;
};

const uidHelp = 'Optional alias usable wherever the id is (letters, digits, "-", "_", ".")';

export const ApplicationCreate = () => (
  <Create redirect="show" title="Create an application">
    <SimpleForm>
      <TextInput source="name" label="Name" validate={required()} helperText="Shown to operators; usually your customer's name" />
      <TextInput source="uid" label="UID" helperText={uidHelp} />
    </SimpleForm>
  </Create>
);

const EditToolbar = () => (
  <Toolbar sx={{ justifyContent: 'space-between' }}>
    <SaveButton label="Save" />
    <DeleteButton
      mutationMode="pessimistic"
      confirmTitle="Delete this application?"
      confirmContent="Its endpoints, messages and delivery history are deleted with it. This cannot be undone."
    />
  </Toolbar>
);

export const ApplicationEdit = () => (
  <Edit
    mutationMode="pessimistic"
    redirect="show"
    queryOptions={{ onError: quietLoadError }}
    error={<EditLoadError />}
    title={<AppTitle />}
  >
    <SimpleForm toolbar={<EditToolbar />}>
      <TextInput source="name" label="Name" validate={required()} />
      <TextInput source="uid" label="UID" helperText={uidHelp} parse={(value: string) => value || null} />
      <NumberInput source="rateLimit" label="Rate limit (messages/s)" min={0} helperText="Empty: unlimited" />
      <NumberInput source="throttleRate" label="Throttle (deliveries/s per endpoint)" min={0} helperText="Empty: unthrottled" />
      <Alert severity="info" sx={{ mt: 1 }}>
        Changing the UID changes the alias in every URL that uses it.
      </Alert>
    </SimpleForm>
  </Edit>
);

import { Autocomplete, Box, TextField, Typography } from '@mui/material';
import { useEffect, useRef } from 'react';
import { useGetList, useLocation, useNavigate } from 'react-admin';
import { currentApp, useCurrentAppId } from '../currentApp';
import type { Application } from '../data/types';

/** Per-application record pages; switching application leaves them for their list. */
const PER_APP_RECORD = /^\/(endpoint|msg|replay)\/.+/;
const PICKER_PAGE_SIZE = 250;

/** The current application, which endpoints, messages, dead letters and replays belong to. */
export const AppPicker = () => {
  const appId = useCurrentAppId();
  const location = useLocation();
  const navigate = useNavigate();
  const { data, isPending, error, refetch, dataUpdatedAt } = useGetList<Application>('app', {
    pagination: { page: 1, perPage: PICKER_PAGE_SIZE },
    sort: { field: 'createdAt', order: 'DESC' },
    filter: {},
  });

  // `?app=<id>` in a shared link selects that application.
  useEffect(() => {
    const fromUrl = new URLSearchParams(location.search).get('app');
    if (fromUrl) currentApp.set(fromUrl);
  }, [location.search]);

  // Nothing chosen yet: the newest application. A chosen one that is gone (deleted): forget it. But a
  // list read before the choice (a `?app=` link to an application created since) is read again first.
  const chosenAt = useRef({ appId, at: Date.now() });
  if (chosenAt.current.appId !== appId) chosenAt.current = { appId, at: Date.now() };
  useEffect(() => {
    if (!data) return;
    const complete = data.length < PICKER_PAGE_SIZE;
    if (!appId && data[0]) currentApp.set(data[0].id);
    else if (appId && complete && !data.some((app) => app.id === appId || app.uid === appId)) {
      if (dataUpdatedAt < chosenAt.current.at) void refetch();
      else currentApp.set(data[0]?.id ?? null);
    }
  }, [data, appId, dataUpdatedAt, refetch]);

  const options = data ?? [];
  const value = options.find((app) => app.id === appId || app.uid === appId) ?? null;

  return (
    <Autocomplete
      size="small"
      options={options}
      value={value}
      loading={isPending}
      onChange={(_, chosen) => {
        currentApp.set(chosen?.id ?? null);
        const match = PER_APP_RECORD.exec(location.pathname);
        if (match) navigate(`/${match[1]}`);
      }}
      getOptionLabel={(app) => app.name}
      isOptionEqualToValue={(option, selected) => option.id === selected.id}
      noOptionsText={error ? 'Could not load applications' : 'No applications yet'}
      renderOption={({ key, ...props }, app) => (
        <Box component="li" key={key} {...props}>
          <Box>
            <Typography variant="body2">{app.name}</Typography>
            <Typography variant="caption" color="text.secondary" sx={{ fontFamily: 'monospace' }}>
              {app.uid ?? app.id}
            </Typography>
          </Box>
        </Box>
      )}
      sx={{ width: { xs: 180, sm: 280 }, mx: 2, '& .MuiInputBase-root': { bgcolor: 'background.paper', borderRadius: 1 } }}
      renderInput={(params) => (
        <TextField {...params} label="Application" placeholder="Choose an application" variant="filled" hiddenLabel={false} />
      )}
    />
  );
};

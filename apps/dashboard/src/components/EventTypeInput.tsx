import { Autocomplete, Chip, TextField } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { useGetList, useInput } from 'react-admin';
import { api } from '../api';
import type { EventType } from '../data/types';

const NONE: string[] = [];

interface Choice {
  name: string;
  registered: boolean;
}

/**
 * Event type names to pick from: the registered ones and the ones the
 * application's recent messages were published with
 * (`GET /app/{app_id}/stats/event-types`). Herald accepts unregistered types,
 * so a filter offering only registered ones could not pick what was sent.
 */
export function useEventTypeChoices(appId: string | null | undefined): { choices: Choice[]; loading: boolean } {
  // Read again on every mount (cached lists show at once meanwhile): a type registered or first
  // published a moment ago belongs in the list.
  const registered = useGetList<EventType>(
    'event-type',
    { pagination: { page: 1, perPage: 250 }, sort: { field: 'name', order: 'ASC' }, filter: {} },
    { staleTime: 0 },
  );
  const published = useQuery({
    queryKey: ['herald', 'published-event-types', appId],
    enabled: Boolean(appId),
    queryFn: () => api<{ data: { eventType: string }[] }>(`/app/${encodeURIComponent(appId ?? '')}/stats/event-types`),
    staleTime: 0,
  });
  const names = new Map<string, Choice>();
  for (const type of registered.data ?? []) names.set(type.name, { name: type.name, registered: true });
  for (const { eventType } of published.data?.data ?? []) {
    if (!names.has(eventType)) names.set(eventType, { name: eventType, registered: false });
  }
  const choices = [...names.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { choices, loading: registered.isPending || (Boolean(appId) && published.isPending) };
}

/**
 * A multi-select of event type names (registered or published), for filters
 * and an endpoint's event types. The form value is the list of names. A plain
 * MUI Autocomplete (through react-admin's `useInput`): its suggestions follow
 * choices that arrive while it is open.
 */
export const EventTypeInput = (props: {
  source: string;
  appId: string | null | undefined;
  label: string;
  helperText?: string;
  alwaysOn?: boolean;
  sx?: object;
}) => {
  const { source, appId, label, helperText, sx } = props;
  const { choices, loading } = useEventTypeChoices(appId);
  const { field, fieldState } = useInput({ source });
  // A stable empty list: Autocomplete clears what is being typed whenever its value changes identity.
  const value = Array.isArray(field.value) ? (field.value as string[]) : NONE;
  const registered = new Map(choices.map((choice) => [choice.name, choice.registered]));
  return (
    <Autocomplete
      multiple
      size="small"
      options={choices.map((choice) => choice.name)}
      value={value}
      loading={loading}
      onChange={(_, names) => field.onChange(names.length > 0 ? names : [])}
      onBlur={field.onBlur}
      getOptionLabel={(name) => (registered.get(name) === false ? `${name} (published, not registered)` : name)}
      renderValue={(names, getItemProps) =>
        names.map((name, index) => {
          const { key, ...itemProps } = getItemProps({ index });
          return <Chip key={key} size="small" label={name} {...itemProps} />;
        })
      }
      sx={{ minWidth: 240, ...sx }}
      renderInput={(params) => (
        <TextField
          {...params}
          label={label}
          variant="filled"
          margin="dense"
          error={fieldState.invalid}
          helperText={fieldState.error?.message ?? helperText}
        />
      )}
    />
  );
};

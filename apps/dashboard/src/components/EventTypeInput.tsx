import { useQuery } from '@tanstack/react-query';
import { AutocompleteArrayInput, type AutocompleteArrayInputProps, useGetList } from 'react-admin';
import { api } from '../api';
import type { EventType } from '../data/types';

interface Choice {
  id: string;
  name: string;
  registered: boolean;
}

/**
 * Event type names to pick from: the registered ones and the ones the
 * application's recent messages were published with
 * (`GET /app/{app_id}/stats/event-types`). Herald accepts unregistered types,
 * so a filter offering only registered ones could not pick what was sent.
 */
export function useEventTypeChoices(appId: string | null | undefined): { choices: Choice[]; isPending: boolean; complete: boolean } {
  const registered = useGetList<EventType>('event-type', {
    pagination: { page: 1, perPage: 250 },
    sort: { field: 'name', order: 'ASC' },
    filter: {},
  });
  const published = useQuery({
    queryKey: ['herald', 'published-event-types', appId],
    enabled: Boolean(appId),
    queryFn: () => api<{ data: { eventType: string }[] }>(`/app/${encodeURIComponent(appId ?? '')}/stats/event-types`),
    staleTime: 30_000,
  });
  const names = new Map<string, Choice>();
  for (const type of registered.data ?? []) names.set(type.name, { id: type.name, name: type.name, registered: true });
  for (const { eventType } of published.data?.data ?? []) {
    if (!names.has(eventType)) names.set(eventType, { id: eventType, name: eventType, registered: false });
  }
  const choices = [...names.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { choices, isPending: registered.isPending || (Boolean(appId) && published.isPending), complete: !appId || !published.isPending };
}

/** A multi-select of event type names (registered or published), for filters and an endpoint's event types. */
export const EventTypeInput = ({
  appId,
  ...props
}: { appId: string | null | undefined } & Omit<AutocompleteArrayInputProps, 'choices' | 'source'> & { source: string }) => {
  const { choices, isPending, complete } = useEventTypeChoices(appId);
  return (
    <AutocompleteArrayInput
      {...props}
      // An open list of suggestions does not take choices that arrive later: it opens once all are in (a moment).
      disabled={props.disabled || !complete}
      choices={choices}
      isPending={isPending}
      optionText={(choice: Choice) => (choice.registered ? choice.name : `${choice.name} (published, not registered)`)}
    />
  );
};

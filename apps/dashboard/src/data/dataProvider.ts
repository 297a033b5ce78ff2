import type { DataProvider, GetListParams, Identifier, RaRecord } from 'react-admin';
import { ApiError, api } from '../api';
import { currentApp } from '../currentApp';
import type { Page } from './types';

/**
 * react-admin's data provider for Herald's nested, cursor-paginated API.
 *
 * Record ids are Herald ids (event types: their name), so URLs like
 * `#/endpoint/ep_…/show` stay stable. Per-application resources take their
 * application from `meta.appId`, then `filter.appId`, then the current
 * application of the layout's picker; every such record carries `appId`.
 */

type Meta = { appId?: string; msgId?: string } | undefined;
type Filter = Record<string, unknown>;

const PER_APP = new Set(['endpoint', 'msg', 'attempt', 'destination', 'dead-letter', 'replay']);
const enc = encodeURIComponent;

export class NoApplicationError extends ApiError {
  constructor() {
    super(400, { code: 'no_application', detail: 'Choose an application first (the "Application" picker at the top)' });
  }
}

function appIdOf(meta: Meta, filter?: Filter): string {
  const appId = meta?.appId ?? (typeof filter?.appId === 'string' ? filter.appId : undefined) ?? currentApp.get();
  if (!appId) throw new NoApplicationError();
  return appId;
}

const appBase = (appId: string) => `/app/${enc(appId)}`;

function asList(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  if (typeof value === 'string' && value.trim()) {
    return value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }
  return undefined;
}

/** Filter inputs give local date-time strings or Dates; the API wants ISO-8601 with an offset. */
function asIso(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function setIf(query: URLSearchParams, name: string, value: string | undefined) {
  if (value !== undefined && value !== '') query.set(name, value);
}

/** The collection path and query of a list, without pagination. */
function listTarget(resource: string, filter: Filter, meta: Meta): { path: string; query: URLSearchParams; appId?: string } {
  const query = new URLSearchParams();
  switch (resource) {
    case 'app':
      return { path: '/app', query };
    case 'event-type':
      // Lists carry full records (schemas, payloads): react-admin reuses list rows as the detail view's first render.
      if (filter.includeArchived) query.set('include_archived', 'true');
      return { path: '/event-type', query };
    case 'operator':
      return { path: '/operator', query };
  }
  const appId = appIdOf(meta, filter);
  const base = appBase(appId);
  switch (resource) {
    case 'endpoint':
      return { path: `${base}/endpoint`, query, appId };
    case 'msg':
      setIf(query, 'event_types', asList(filter.eventTypes)?.join(','));
      setIf(query, 'channel', filter.channel as string | undefined);
      setIf(query, 'tag', filter.tag as string | undefined);
      setIf(query, 'after', asIso(filter.after));
      setIf(query, 'before', asIso(filter.before));
      return { path: `${base}/msg`, query, appId };
    case 'attempt': {
      setIf(query, 'status', filter.status === undefined || filter.status === '' ? undefined : String(filter.status));
      if (typeof filter.msgId === 'string') {
        setIf(query, 'endpoint_id', filter.endpointId as string | undefined);
        return { path: `${base}/attempt/msg/${enc(filter.msgId)}`, query, appId };
      }
      if (typeof filter.endpointId === 'string') {
        query.set('with_msg', 'true');
        return { path: `${base}/attempt/endpoint/${enc(filter.endpointId)}`, query, appId };
      }
      throw new ApiError(400, { code: 'bad_request', detail: 'attempts are listed per message or per endpoint' });
    }
    case 'destination':
      if (typeof filter.msgId !== 'string') throw new ApiError(400, { code: 'bad_request', detail: 'destinations are listed per message' });
      return { path: `${base}/msg/${enc(filter.msgId)}/endpoint`, query, appId };
    case 'dead-letter':
      setIf(query, 'endpoint_id', filter.endpointId as string | undefined);
      setIf(query, 'event_types', asList(filter.eventTypes)?.join(','));
      setIf(query, 'after', asIso(filter.after));
      setIf(query, 'before', asIso(filter.before));
      setIf(query, 'reason', (filter.reason as string | undefined)?.trim());
      return { path: `${base}/dead-letter`, query, appId };
    case 'replay':
      return { path: `${base}/replay`, query, appId };
  }
  throw new ApiError(404, { code: 'not_found', detail: `unknown resource ${resource}` });
}

function recordPath(resource: string, id: Identifier, meta: Meta): { path: string; appId?: string } {
  const key = enc(String(id));
  switch (resource) {
    case 'app':
      return { path: `/app/${key}` };
    case 'event-type':
      return { path: `/event-type/${key}` };
    case 'operator':
      return { path: `/operator/${key}` };
  }
  const appId = appIdOf(meta);
  const base = appBase(appId);
  switch (resource) {
    case 'endpoint':
      return { path: `${base}/endpoint/${key}`, appId };
    case 'msg':
      return { path: `${base}/msg/${key}`, appId };
    case 'attempt':
      if (!meta?.msgId) throw new ApiError(400, { code: 'bad_request', detail: 'an attempt is read through its message' });
      return { path: `${base}/msg/${enc(meta.msgId)}/attempt/${key}`, appId };
    case 'replay':
      return { path: `${base}/replay/${key}`, appId };
    case 'dead-letter':
      return { path: `${base}/dead-letter/${key}`, appId };
  }
  throw new ApiError(404, { code: 'not_found', detail: `unknown resource ${resource}` });
}

/** Every record gets an `id` (event types: their name) and, per application, its `appId`. */
function normalize(resource: string, raw: unknown, appId?: string): RaRecord {
  const record = { ...(raw as Record<string, unknown>) };
  if (resource === 'event-type') record.id = record.name;
  if (resource === 'destination') record.endpointId = record.id;
  if (appId && PER_APP.has(resource) && record.appId === undefined) record.appId = appId;
  return record as RaRecord;
}

/**
 * Cursor pagination under react-admin's page numbers: the iterator that starts
 * each page is remembered per list (resource + path + filters + page size), so
 * "next" and "previous" work; page 1 always starts afresh.
 */
const cursors = new Map<string, (string | null)[]>();
const MAX_REMEMBERED_LISTS = 200;

async function getList(resource: string, params: GetListParams) {
  const perPage = Math.min(Math.max(params.pagination?.perPage ?? 25, 1), 250);
  const page = Math.max(params.pagination?.page ?? 1, 1);
  const { path, query, appId } = listTarget(resource, params.filter ?? {}, params.meta);
  query.set('limit', String(perPage));
  const listKey = `${path}?${query}`;
  const known = page === 1 ? [null] : (cursors.get(listKey) ?? [null]);
  if (page > 1 && known[page - 1] === undefined) {
    // A page we have no cursor for (e.g. a reload on page 3): start over.
    return getList(resource, { ...params, pagination: { page: 1, perPage } });
  }
  const cursor = known[page - 1];
  if (cursor) query.set('iterator', cursor);
  const result = await api<Page<unknown> | unknown[]>(`${path}?${query}`);
  const pageOut: Page<unknown> = Array.isArray(result) ? { data: result, iterator: null, prevIterator: null, done: true } : result;
  known[page] = pageOut.done ? null : pageOut.iterator;
  known.length = page + 1;
  if (cursors.size > MAX_REMEMBERED_LISTS) cursors.clear();
  cursors.set(listKey, known);
  return {
    data: pageOut.data.map((item) => normalize(resource, item, appId)),
    pageInfo: { hasNextPage: !pageOut.done && pageOut.iterator !== null, hasPreviousPage: page > 1 },
  };
}

/** The fields each resource's PATCH accepts; anything else in a form record is display-only. */
const PATCHABLE: Record<string, readonly string[]> = {
  app: ['name', 'uid', 'rateLimit', 'throttleRate', 'metadata'],
  endpoint: [
    'url',
    'uid',
    'description',
    'disabled',
    'filterTypes',
    'channels',
    'rateLimit',
    'throttleRate',
    'metadata',
    'filter',
    'retrySchedule',
    'fifo',
    'type',
    'settings',
  ],
  'event-type': ['description', 'archived', 'deprecated', 'featureFlags', 'groupName', 'schemas'],
};

/** Only the fields that changed, so a PATCH never rewrites what the form did not touch. */
function changedFields(resource: string, data: Record<string, unknown>, previous: Record<string, unknown> | undefined) {
  const allowed = PATCHABLE[resource];
  if (!allowed) throw new ApiError(405, { code: 'method_not_allowed', detail: `${resource} cannot be edited` });
  const patch: Record<string, unknown> = {};
  for (const field of allowed) {
    if (!(field in data)) continue;
    if (previous && JSON.stringify(data[field] ?? null) === JSON.stringify(previous[field] ?? null)) continue;
    patch[field] = data[field] === undefined ? null : data[field];
  }
  return patch;
}

/**
 * react-admin reads `error.body.errors` as form field errors, keyed by field
 * name, with `root.serverError` as the notification. Herald's 422 lists
 * `{path: 'body.url', message}`; other errors keep only their readable message.
 */
export class FormError extends Error {
  readonly status: number;
  readonly body: { errors: Record<string, unknown> };
  constructor(error: ApiError) {
    super(error.message);
    this.name = 'FormError';
    this.status = error.status;
    const errors: Record<string, unknown> = { root: { serverError: error.message } };
    for (const field of error.body.errors ?? []) {
      const name = field.path?.replace(/^body\./, '');
      if (name && field.message && name !== 'body' && !name.startsWith('query.')) errors[name] = field.message;
    }
    this.body = { errors };
  }
}

function forMutation(error: unknown): never {
  if (error instanceof ApiError) {
    if (error.status === 422 && error.body.errors?.length) throw new FormError(error);
    throw new ApiError(error.status, { code: error.body.code, detail: error.message, requestId: error.body.requestId }, error.retryAfter);
  }
  throw error;
}

async function getOne(resource: string, id: Identifier, meta: Meta): Promise<RaRecord> {
  if (resource === 'operator') {
    const { data } = await getList('operator', { pagination: { page: 1, perPage: 250 }, sort: { field: 'id', order: 'ASC' }, filter: {} });
    const found = data.find((operator) => operator.id === id);
    if (!found) throw new ApiError(404, { code: 'not_found', detail: 'operator not found' });
    return found;
  }
  const { path, appId } = recordPath(resource, id, meta);
  return keepRequestedId(normalize(resource, await api(path), appId), id);
}

/** A record's own id (`app_…`, `ep_…`), also when it was opened by uid. */
export const recordIdOf = (record: { id: Identifier; heraldId?: unknown }): string => String(record.heraldId ?? record.id);

/** Opened by uid (`#/app/acme/show`): react-admin needs the id it asked for; the uid works in every API path too. */
function keepRequestedId(record: RaRecord, requested: Identifier): RaRecord {
  return String(record.id) === String(requested) ? record : { ...record, id: requested, heraldId: record.id };
}

function createPath(resource: string, meta: Meta): { path: string; appId?: string } {
  switch (resource) {
    case 'app':
      return { path: '/app' };
    case 'event-type':
      return { path: '/event-type' };
    case 'operator':
      return { path: '/operator' };
    case 'endpoint':
    case 'msg': {
      const appId = appIdOf(meta);
      return { path: `${appBase(appId)}/${resource}`, appId };
    }
  }
  throw new ApiError(405, { code: 'method_not_allowed', detail: `${resource} records cannot be created here` });
}

/** A create body without form leftovers: unset fields are absent (descriptions may be empty). */
const withoutEmpty = (data: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(data).filter(
      ([key, value]) => key !== 'appId' && value !== undefined && value !== null && (value !== '' || key === 'description'),
    ),
  );

export const dataProvider: DataProvider = {
  getList: (resource, params) => getList(resource, params) as never,

  async getOne(resource, params) {
    return { data: (await getOne(resource, params.id, params.meta)) as never };
  },

  async getMany(resource, params) {
    const settled = await Promise.allSettled(params.ids.map((id) => getOne(resource, id, params.meta)));
    // A reference to a deleted record shows as missing rather than failing the whole list.
    return { data: settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])) as never };
  },

  getManyReference: (resource, params) =>
    getList(resource, { ...params, filter: { ...params.filter, [params.target]: params.id } }) as never,

  async create(resource, params) {
    const { path, appId } = createPath(resource, params.meta);
    try {
      const created = await api(path, { method: 'POST', body: JSON.stringify(withoutEmpty(params.data as Record<string, unknown>)) });
      return { data: normalize(resource, created, appId) as never };
    } catch (error) {
      forMutation(error);
    }
  },

  async update(resource, params) {
    const { path, appId } = recordPath(resource, params.id, params.meta);
    const patch = changedFields(resource, params.data as Record<string, unknown>, params.previousData as Record<string, unknown>);
    if (Object.keys(patch).length === 0) return { data: { ...params.previousData, ...params.data } as never };
    try {
      const updated = await api(path, { method: 'PATCH', body: JSON.stringify(patch) });
      return { data: keepRequestedId(normalize(resource, updated, appId), params.id) as never };
    } catch (error) {
      forMutation(error);
    }
  },

  async updateMany(resource, params) {
    await Promise.all(
      params.ids.map((id) => dataProvider.update(resource, { id, data: params.data, previousData: {}, meta: params.meta })),
    );
    return { data: params.ids };
  },

  async delete(resource, params) {
    const { path } = recordPath(resource, params.id, params.meta);
    try {
      await api(path, { method: 'DELETE' });
    } catch (error) {
      forMutation(error);
    }
    // Deleting an event type archives it.
    const data = resource === 'event-type' ? { ...params.previousData, archived: true } : params.previousData;
    return { data: (data ?? { id: params.id }) as never };
  },

  async deleteMany(resource, params) {
    for (const id of params.ids) await dataProvider.delete(resource, { id, meta: params.meta });
    return { data: params.ids };
  },
};

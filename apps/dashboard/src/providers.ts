import type { AuthProvider, DataProvider } from 'react-admin';
import { ApiError, api, apiKey } from './api';

interface Page<T> {
  data: T[];
  iterator: string | null;
  done: boolean;
}

/**
 * Herald lists are cursor-paginated; react-admin asks for page numbers. Pages
 * are walked forward from the start, remembering each page's iterator.
 */
const iterators = new Map<string, (string | null)[]>();

export const dataProvider = {
  async getList(resource, params) {
    const perPage = params.pagination?.perPage ?? 25;
    const page = params.pagination?.page ?? 1;
    const cursors = iterators.get(resource) ?? [null];
    const cursor = cursors[page - 1] ?? null;
    const query = new URLSearchParams({ limit: String(perPage) });
    if (cursor) query.set('iterator', cursor);
    const result = await api<Page<{ id: string }>>(`/${resource}?${query}`);
    cursors[page] = result.iterator;
    iterators.set(resource, cursors);
    return {
      data: result.data,
      pageInfo: { hasNextPage: !result.done, hasPreviousPage: page > 1 },
    };
  },
  async getOne(resource, params) {
    return { data: await api(`/${resource}/${encodeURIComponent(String(params.id))}`) };
  },
  async create(resource, params) {
    return { data: await api(`/${resource}`, { method: 'POST', body: JSON.stringify(params.data) }) };
  },
} as DataProvider;

export const authProvider: AuthProvider = {
  async login({ password }: { password: string }) {
    apiKey.set(password);
    try {
      await api('/app?limit=1');
    } catch (error) {
      apiKey.clear();
      throw new Error(error instanceof ApiError && error.status === 401 ? 'That API key is not valid' : 'Herald did not answer');
    }
  },
  async logout() {
    apiKey.clear();
  },
  async checkAuth() {
    if (!apiKey.get()) throw new Error('not signed in');
  },
  async checkError(error: unknown) {
    if (error instanceof ApiError && error.status === 401) {
      apiKey.clear();
      throw error;
    }
  },
  async getPermissions() {
    return undefined;
  },
};

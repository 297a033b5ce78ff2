import type { ListPage, ListQuery } from '@herald/core';
import { and, asc, desc, gt, lt, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * Svix-style cursors: `iterator` is the last id of a page and continues after
 * it; `prevIterator` is `-` + the first id and walks back before it.
 */
export function parseIterator(iterator: string | undefined): { id: string; backwards: boolean } | undefined {
  if (!iterator) return undefined;
  return iterator.startsWith('-') ? { id: iterator.slice(1), backwards: true } : { id: iterator, backwards: false };
}

/**
 * Keyset pagination over a time-sortable id column, so pages stay stable while
 * rows are inserted. Walking backwards reads in the opposite order; `toPage`
 * puts the rows back in the requested one.
 */
export function keyset(idColumn: PgColumn, query: Pick<ListQuery, 'iterator' | 'order' | 'limit'>, scope: SQL | undefined) {
  const cursor = parseIterator(query.iterator);
  const ascending = (query.order === 'ascending') !== (cursor?.backwards ?? false);
  return {
    where: and(scope, cursor ? (ascending ? gt : lt)(idColumn, cursor.id) : undefined),
    orderBy: ascending ? asc(idColumn) : desc(idColumn),
    // One extra row tells whether another page exists without a count query.
    limit: query.limit + 1,
  };
}

export function toPage<Row extends { id: string }, Out>(
  rows: Row[],
  query: Pick<ListQuery, 'iterator' | 'limit'>,
  map: (row: Row) => Out,
): ListPage<Out> {
  const done = rows.length <= query.limit;
  const page = done ? rows : rows.slice(0, query.limit);
  if (parseIterator(query.iterator)?.backwards) page.reverse();
  return {
    data: page.map(map),
    iterator: page.at(-1)?.id ?? null,
    prevIterator: page[0] ? `-${page[0].id}` : null,
    done,
  };
}

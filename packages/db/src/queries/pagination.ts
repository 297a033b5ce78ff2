import type { ListPage, ListQuery } from '@herald/core';
import { and, asc, desc, gt, lt, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * Keyset pagination over a time-sortable id column: the iterator is the last id
 * of the page, so pages stay stable while rows are inserted.
 */
export function keyset(idColumn: PgColumn, query: ListQuery, scope: SQL | undefined) {
  const after = query.iterator ? (query.order === 'ascending' ? gt : lt)(idColumn, query.iterator) : undefined;
  return {
    where: and(scope, after),
    orderBy: query.order === 'ascending' ? asc(idColumn) : desc(idColumn),
    // One extra row tells whether another page exists without a count query.
    limit: query.limit + 1,
  };
}

export function toPage<Row extends { id: string }, Out>(rows: Row[], query: ListQuery, map: (row: Row) => Out): ListPage<Out> {
  const done = rows.length <= query.limit;
  const page = done ? rows : rows.slice(0, query.limit);
  return {
    data: page.map(map),
    iterator: page.at(-1)?.id ?? null,
    prevIterator: page[0]?.id ?? null,
    done,
  };
}

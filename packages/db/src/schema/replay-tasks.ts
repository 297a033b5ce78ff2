import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgEnum, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { applications } from './applications';
import { timestamps } from './columns';
import { endpoints } from './endpoints';
import { organizations } from './organizations';

export const replayTaskKind = pgEnum('replay_task_kind', ['dead_letters', 'replay_missing']);
export const replayTaskStatus = pgEnum('replay_task_status', ['running', 'finished', 'failed', 'canceled']);

/**
 * A bulk replay run by the `replay` job: requeue an application's dead letters
 * matching `filter`, or (`replay_missing`) create the deliveries an endpoint
 * never got. `done` counts what was processed, out of `total` counted at start.
 */
export const replayTasks = pgTable(
  'replay_tasks',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    appId: text('app_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id').references(() => endpoints.id, { onDelete: 'cascade' }),
    kind: replayTaskKind('kind').notNull(),
    filter: jsonb('filter').$type<Record<string, unknown>>().notNull(),
    status: replayTaskStatus('status').notNull().default('running'),
    total: integer('total').notNull().default(0),
    done: integer('done').notNull().default(0),
    /** Keyset position of the last processed batch, so a retried job resumes where it stopped. */
    cursor: text('cursor'),
    ...timestamps,
  },
  (t) => [
    // One running task per (application, kind, filter): starting the same replay twice returns the first.
    uniqueIndex('replay_tasks_running_key').on(t.appId, t.kind, t.filter).where(sql`status = 'running'`),
    index('replay_tasks_app_idx').on(t.appId, t.id),
  ],
);

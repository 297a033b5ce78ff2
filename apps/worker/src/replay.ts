import { type Logger, matchesPayloadFilter, type PayloadFilter } from '@herald/core';
import {
  createMissingDeliveries,
  type Database,
  endReplayTask,
  findEndpointById,
  findReplayTaskById,
  type ReplayFilter,
  type ReplayTaskRow,
  recordReplayProgress,
  requeueDeliveriesInStatus,
  selectDeadLettersMatching,
  selectMissingMessages,
} from '@herald/db';
import type { JobPayload, QueueRuntime } from '@herald/queue';

/** Deliveries (or messages) read, requeued and queued per round trip. */
export const REPLAY_BATCH = 200;

export interface ReplayDeps {
  db: Database;
  queue: QueueRuntime;
  log: Logger;
}

/**
 * Runs a bulk replay task in batches, re-reading its status before each one
 * so a cancel stops it between batches. A retried job resumes after the
 * task's cursor. Each delivery is queued as a manual attempt whose `due` is
 * the task's creation time, so queuing it again for the same task is a no-op.
 */
export async function runReplayTask(
  deps: ReplayDeps,
  { taskId }: JobPayload<'replay'>,
  job?: { attemptsMade: number; opts: { attempts?: number | undefined } },
): Promise<void> {
  try {
    const task = await findReplayTaskById(deps.db, taskId);
    if (task?.status !== 'running') return;
    const step = task.kind === 'dead_letters' ? deadLetterStep(deps, task) : await missingStep(deps, task);
    if (!step) {
      await endReplayTask(deps.db, task.id, 'finished');
      return;
    }
    let cursor = task.cursor;
    for (;;) {
      const current = await findReplayTaskById(deps.db, taskId);
      if (current?.status !== 'running') return;
      const batch = await step(cursor);
      if (batch.processed === 0) break;
      cursor = batch.cursor;
      if (!(await recordReplayProgress(deps.db, taskId, { processed: batch.processed, cursor }))) return;
      if (batch.processed < REPLAY_BATCH) break;
    }
    await endReplayTask(deps.db, taskId, 'finished');
  } catch (error) {
    const lastAttempt = job ? job.attemptsMade + 1 >= (job.opts.attempts ?? 1) : true;
    if (lastAttempt) {
      deps.log.error('replay task failed', { taskId, error: (error as Error).message });
      await endReplayTask(deps.db, taskId, 'failed').catch(() => {});
    }
    throw error;
  }
}

type Step = (cursor: string | null) => Promise<{ processed: number; cursor: string }>;

const manualJobs = (task: ReplayTaskRow, ids: string[]) =>
  ids.map((deliveryId) => ({ payload: { deliveryId, due: task.createdAt.getTime(), manual: true } }));

/** Dead letters matching the task's filter, requeued only while still dead: never a delivered one twice. */
function deadLetterStep({ db, queue }: ReplayDeps, task: ReplayTaskRow): Step {
  const scope = { orgId: task.orgId, appId: task.appId };
  const filter = task.filter as ReplayFilter;
  return async (cursor) => {
    const ids = await selectDeadLettersMatching(db, scope, filter, { afterId: cursor, limit: REPLAY_BATCH });
    if (ids.length === 0) return { processed: 0, cursor: cursor ?? '' };
    const requeued = await requeueDeliveriesInStatus(db, { orgId: task.orgId, ids, statuses: ['dead'] });
    await queue.enqueueMany('deliver', manualJobs(task, requeued));
    return { processed: ids.length, cursor: ids.at(-1)! };
  };
}

/** Svix replayMissing: deliveries the endpoint never got (it was created later), created and queued. */
async function missingStep({ db, queue }: ReplayDeps, task: ReplayTaskRow): Promise<Step | undefined> {
  const endpoint = task.endpointId ? await findEndpointById(db, task.endpointId) : undefined;
  if (!endpoint || endpoint.disabled) return undefined;
  const filter = task.filter as ReplayFilter;
  const range = { since: filter.since!, until: filter.until ?? task.createdAt.toISOString() };
  return async (cursor) => {
    const rows = await selectMissingMessages(db, endpoint, range, { afterId: cursor, limit: REPLAY_BATCH });
    if (rows.length === 0) return { processed: 0, cursor: cursor ?? '' };
    const matching = rows.filter(
      (message) => endpoint.payloadFilter == null || matchesPayloadFilter(endpoint.payloadFilter as PayloadFilter, message.payload),
    );
    const created = await createMissingDeliveries(db, endpoint, matching);
    if (endpoint.type === 'kafka') {
      await queue.enqueueMany(
        'deliver',
        created.map((deliveryId) => ({ payload: { deliveryId, stream: endpoint.id } })),
      );
    } else {
      await queue.enqueueMany('deliver', manualJobs(task, created));
    }
    return { processed: rows.length, cursor: rows.at(-1)!.id };
  };
}

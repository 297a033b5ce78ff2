export { JOBS, type JobName, type JobPayload, MAX_FANOUT_BATCH, probeJob } from './catalog';
export {
  type AnyWorker,
  createQueueRuntime,
  type JobHandler,
  prepareQueueStore,
  type QueueRuntime,
  type QueueSettings,
  type ScheduledJob,
} from './runtime';
export { createWorkQueuePublisher, type WorkQueuePublisher } from './work-queues';

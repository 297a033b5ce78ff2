export { databaseErrorCode, UNAVAILABLE_CODES } from './availability';
export { type BootstrapOptions, type BootstrapResult, bootstrap, GENERATED_ADMIN_EMAIL } from './bootstrap';
export { connectDatabase, type Database, type DatabaseHandle } from './client';
export { createDatabaseIfMissing, type EmbeddedPostgresHandle, freePort, startEmbeddedPostgres } from './embedded';
export { MIGRATIONS_FOLDER, migrateDatabase } from './migrate';
export { generatePassword, hashPassword, verifyPassword } from './passwords';
export {
  assertEventTypeSchemasCompile,
  compilePayloadSchema,
  createPayloadSchemaChecker,
  enforcedSchemaVersion,
  MAX_SCHEMA_NODES,
  type PayloadSchemaChecker,
  type PayloadSchemaCheckerOptions,
} from './payload-schema';
export {
  type ApiKeyScope,
  apiKeyOut,
  findApiKey,
  findApiKeyByDigest,
  issueApiKey,
  listApiKeys,
  revokeApiKey,
  revokeApplicationKeys,
} from './queries/api-keys';
export {
  type ApplicationChanges,
  applicationOut,
  deleteApplication,
  findApplication,
  findApplicationCached,
  forgetCachedApplications,
  insertApplication,
  isUniqueViolation,
  listApplications,
  updateApplication,
} from './queries/applications';
export {
  type AttemptFilter,
  attemptOut,
  findAttempt,
  listAttempts,
  listEndpointMessages,
  listMessageDestinations,
  MESSAGE_STATUS,
  type MessageStatusText,
} from './queries/attempts';
export { runPrepared } from './queries/batching';
export {
  acquireCircuitProbe,
  type CircuitTiming,
  closeCircuit,
  deadLetterDisabledBacklog,
  deadLetterEndpointBacklog,
  type EndpointHealthChange,
  type EndpointHealthDelta,
  findOverdueProbes,
  openCircuit,
  probeCandidate,
  recordEndpointHealth,
  releaseHeldDeliveries,
  releaseStrandedHeld,
  reopenCircuit,
} from './queries/circuit';
export {
  type DeadLetterFilter,
  type DeadLetterOut,
  findDeliveryInApp,
  listDeadLetters,
  prepareResend,
  RECOVERABLE_STATUSES,
  type ResendPreparation,
  requeueDeliveriesInStatus,
  selectRecoverableDeliveryIds,
} from './queries/dead-letters';
export {
  type AttemptOutcome,
  type AttemptRecord,
  advanceFifo,
  type ClaimedDelivery,
  type ClaimResult,
  claimDelivery,
  deadLetterWithoutAttempt,
  disableEndpoint,
  fifoHead,
  findOverdueDeliveries,
  recordAttempt,
  releaseDelivery,
  requeueDeliveries,
  rowFromJson,
  takeThrottleToken,
} from './queries/deliveries';
export {
  deleteEndpoint,
  type EndpointRow,
  type EndpointScope,
  endpointHeadersOut,
  endpointOut,
  endpointUidTaken,
  findEndpoint,
  getEndpointHeaders,
  getEndpointSecret,
  insertEndpoint,
  listEndpoints,
  patchEndpoint,
  patchEndpointHeaders,
  replaceEndpointHeaders,
  rotateEndpointSecret,
  updateEndpoint,
} from './queries/endpoints';
export {
  createEventType,
  deleteEventType,
  type EventTypeListQuery,
  eventTypeOut,
  findEventType,
  listEventTypes,
  patchEventType,
  upsertEventType,
} from './queries/event-types';
export { insertExampleMessage } from './queries/example-messages';
export {
  claimIdempotencyKey,
  completeIdempotencyKey,
  deleteExpiredIdempotencyKeys,
  IDEMPOTENCY_WINDOW_MS,
  type IdempotencyClaim,
  releaseIdempotencyKey,
} from './queries/idempotency';
export {
  EXPUNGED_PAYLOAD,
  expungeMessageContent,
  findMessage,
  findUndispatched,
  insertMessage,
  listMessages,
  type MessageFilter,
  markDispatched,
  messageOut,
} from './queries/messages';
export {
  createOperatorSession,
  deleteExpiredOperatorSessions,
  deleteOperatorSession,
  findOperatorSessionByDigest,
} from './queries/operator-sessions';
export {
  clearLoginFailures,
  countOperators,
  createOperator,
  type DeleteOperatorResult,
  deleteOperator,
  findOperator,
  findOperatorByEmail,
  LOGIN_WINDOW_S,
  type LoginAttempt,
  listOperators,
  normalizeEmail,
  type OperatorOut,
  type OperatorRole,
  type OperatorRow,
  operatorOut,
  purgeLoginFailures,
  recordSignIn,
  registerLoginAttempt,
} from './queries/operators';
export { createOrganization, findOrganization, listOrganizations, organizationOut } from './queries/organizations';
export {
  cancelReplayTask,
  canonicalReplayFilter,
  countDeadLettersMatching,
  countMissingMessages,
  createMissingDeliveries,
  endReplayTask,
  findReplayTask,
  findReplayTaskById,
  listReplayTasks,
  type ReplayFilter,
  type ReplayTaskOut,
  type ReplayTaskRow,
  recordReplayProgress,
  replayTaskOut,
  selectDeadLettersMatching,
  selectMissingMessages,
  startReplayTask,
} from './queries/replay-tasks';
export {
  type AppStatsOut,
  appStats,
  type DeliveryStatsOut,
  type EndpointNeedingAttention,
  type EndpointStatsOut,
  endpointStats,
  endpointsNeedingAttention,
  MAX_STATS_BUCKETS,
  publishedEventTypes,
  queueDepth,
  STATS_BUCKETS,
  type StatsBucket,
  type StatsBucketOut,
  statsBucketCount,
} from './queries/stats';
export {
  acquireDrainLease,
  endpointOfDelivery,
  findEndpointById,
  hasDueStreamDeliveries,
  nextStreamBatch,
  releaseDrainLease,
  renewDrainLease,
  type StreamedDelivery,
} from './queries/streamed-deliveries';
export {
  type AttemptStreamFilter,
  type AttemptStreamOut,
  attemptHistoryStart,
  attemptLogHead,
  attemptSeqsAfter,
  attemptStreamOut,
  findStreamEndpoint,
  messageStreamOut,
  readAttemptStream,
  readMessageStream,
  type TableWriters,
  tableWriters,
} from './queries/streams';
export { assertDatabaseReachable } from './reachability';
export * as schema from './schema';

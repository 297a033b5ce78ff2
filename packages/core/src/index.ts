export {
  CONFIG_VARIABLES,
  ConfigError,
  DEFAULT_RETRY_SCHEDULE_S,
  type HeraldConfig,
  loadConfig,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  type QueueBackendKind,
  StartupError,
} from './config';
export { ERROR_STATUS, type ErrorBody, type ErrorCode, type FieldError, HeraldError, notFound } from './errors';
export { ID_PREFIXES, type IdKind, isId, newId, randomBase64Url } from './ids';
export { createLogger, type Logger } from './logger';
export { createRepeatedLog, type RepeatedLog, type RepeatedLogOptions } from './repeated-log';
export { ApplicationIn, type ApplicationOut, ApplicationPatch } from './schemas/application';
export { type ListPage, ListQuery, Metadata, Name, NameList, noNul, RatePerSecond, Text, Uid } from './schemas/common';
export {
  DEFAULT_SECRET_GRACE_SECONDS,
  EndpointHeadersIn,
  type EndpointHeadersOut,
  EndpointHeadersPatchIn,
  EndpointIn,
  type EndpointOut,
  EndpointPatch,
  type EndpointSecretOut,
  EndpointSecretRotateIn,
  EndpointUpdate,
  endpointKindProblems,
  isReservedHeader,
  isSensitiveHeader,
  RESERVED_ENDPOINT_HEADERS,
  SENSITIVE_ENDPOINT_HEADERS,
} from './schemas/endpoint';
export {
  EventTypeIn,
  EventTypeName,
  type EventTypeOut,
  EventTypePatch,
  EventTypeSchemas,
  EventTypeUpdate,
  FeatureFlag,
  requestedFeatureFlag,
} from './schemas/event-type';
export { jsonDepth, MAX_PAYLOAD_DEPTH, MessageIn, type MessageOut } from './schemas/message';
export { ENDPOINT_SECRET_PATTERN, isEndpointSecret, newEndpointSecret, normalizeEndpointSecret } from './secrets';
export { digestToken, newApiToken, newSessionToken, SESSION_TOKEN_PREFIX, tokenHint } from './tokens';

// Endpoint payload filters (Herald extension).

export { installRoot } from './install-root';
export { exactNumber, inspectJsonText, type JsonTextProblem } from './json-text';
export {
  type JsonValue,
  MAX_FILTER_CONDITIONS,
  MAX_FILTER_DEPTH,
  MAX_FILTER_PATH_SEGMENTS,
  matchesPayloadFilter,
  PayloadFilter,
  payloadFilterIssues,
} from './payload-filter';
export { describeConnectError, describeServiceUrl } from './reachability';
export { ENDPOINT_TYPES, EndpointRetrySchedule, type EndpointType, EndpointTypeIn } from './schemas/endpoint';
export { KafkaEndpointSettings, QueueEndpointSettings, valueAtPath } from './schemas/endpoint-settings';

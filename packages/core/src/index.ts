export { ConfigError, type HeraldConfig, loadConfig, type QueueBackendKind } from './config';
export { ERROR_STATUS, type ErrorBody, type ErrorCode, type FieldError, HeraldError, notFound } from './errors';
export { ID_PREFIXES, type IdKind, isId, newId } from './ids';
export { createLogger, type Logger } from './logger';
export { ApplicationIn, type ApplicationOut } from './schemas/application';
export { type ListPage, ListQuery, Metadata, RatePerSecond, Uid } from './schemas/common';
export { digestToken, newApiToken, tokenHint } from './tokens';

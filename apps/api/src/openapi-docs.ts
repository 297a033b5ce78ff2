/**
 * The reader's half of the OpenAPI document: what each field means and a
 * realistic value, in one place. Herald's wire names are Svix's and mean the
 * same thing wherever they appear, so most are described once by name;
 * `Schema.field` overrides a name that means something else in one schema.
 * A description or example written on the schema itself (`.openapi({...})`)
 * wins over these. `apps/api/test/openapi.test.ts` fails on any field,
 * parameter or operation left without a description.
 */

interface FieldDoc {
  description: string;
  example?: unknown;
}

const MSG_ID = 'msg_2mQ9Xz7bK4dT1vYc8LpA3e';
const APP_ID = 'app_2mQ9Xw1fH6sR0nUb5KjZ7q';
const EP_ID = 'ep_2mQ9XyB3cG8wE2aVd6MhT0';
const TIME = '2026-05-04T09:30:00.000Z';

const FIELDS: Record<string, FieldDoc> = {
  // Identity and bookkeeping
  id: { description: 'Herald id, prefixed by what it names (`app_`, `ep_`, `msg_`, `atmpt_`, …)' },
  uid: { description: 'Your own unique id for it, usable wherever the id is; letters, digits, `-`, `_`, `.`', example: 'acme-corp' },
  orgId: { description: 'The organization it belongs to', example: 'org_2mQ9Xv0aB1cD2eF3gH4iJ5' },
  appId: { description: 'The application (id)', example: APP_ID },
  endpointId: { description: 'The endpoint (id)', example: EP_ID },
  msgId: { description: 'The message (id)', example: MSG_ID },
  messageId: { description: 'The message (id)', example: MSG_ID },
  name: { description: 'Human-readable name', example: 'Acme Corp' },
  description: { description: 'Free text for people reading the dashboard', example: 'Invoices for the billing service' },
  metadata: { description: 'Your own string key/value pairs, stored and returned as given', example: { team: 'billing' } },
  createdAt: { description: 'When it was created (ISO 8601)', example: TIME },
  updatedAt: { description: 'When it last changed (ISO 8601)', example: TIME },
  timestamp: { description: 'When it happened (ISO 8601)', example: TIME },
  version: { description: 'Svix compatibility field; always 1', example: 1 },
  // Messages
  eventType: { description: 'The event type name; endpoints subscribe by it', example: 'invoice.paid' },
  eventTypes: { description: 'Event type names', example: ['invoice.paid'] },
  eventId: { description: 'Your unique id for the event: a second message with it answers 409', example: 'evt-20260504-0001' },
  payload: {
    description: 'The webhook body: any JSON object, sent byte for byte as accepted',
    example: { invoiceId: 'inv_1042', amount: 4200, currency: 'EUR' },
  },
  channels: { description: 'Up to 5 free-form routing labels; endpoints with channels receive only messages sharing one', example: ['eu'] },
  tags: { description: 'Up to 5 free-form labels to filter message lists by', example: ['customer-42'] },
  deliverAt: { description: 'Delay the fan-out until then (ISO 8601, 1970 or later); null: now', example: null },
  application: { description: 'Creates the application on first use when the path names a uid that does not exist yet' },
  payloadRetentionPeriod: { description: 'Accepted for Svix compatibility; payloads are kept until expunged or deleted', example: 90 },
  payloadRetentionHours: { description: 'Accepted for Svix compatibility; payloads are kept until expunged or deleted', example: 24 },
  transformationsParams: { description: 'Accepted for Svix compatibility; transformations are not implemented' },
  msg: { description: 'The attempted message, without its payload (with_msg=true)' },
  // Applications and endpoints
  rateLimit: { description: 'Svix compatibility field; Herald stores it and does not act on it (use throttleRate)', example: null },
  throttleRate: { description: 'At most this many deliveries a second to each endpoint; null: no limit', example: 10 },
  url: { description: 'Where webhooks are sent (http or https)', example: 'https://api.acme.example/webhooks/herald' },
  disabled: { description: 'No delivery is attempted while true (410 Gone disables an endpoint too)', example: false },
  filterTypes: { description: 'Only these event types; null: all', example: ['invoice.paid', 'invoice.failed'] },
  secret: { description: 'Signing secret (`whsec_` + base64); generated when absent', example: null },
  key: {
    description: "The signing secret (`whsec_` + base64) that verifies this endpoint's signatures",
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  },
  headers: { description: 'Custom HTTP headers sent with every webhook to this endpoint', example: { 'X-Tenant': 'acme' } },
  sensitive: { description: 'Header names whose values are hidden in answers', example: ['Authorization'] },
  deleteHeaders: { description: 'Header names to remove', example: ['X-Old'] },
  gracePeriodSeconds: { description: 'How long the previous secret keeps signing too (seconds)', example: 86400 },
  type: { description: 'Destination kind: `webhook` (HTTP POST), `kafka` or `queue`', example: 'webhook' },
  settings: { description: 'Settings of a kafka or queue destination; null for webhooks' },
  filter: { description: 'A filter on the payload: only matching messages are delivered; null: every payload' },
  fifo: { description: 'Deliver in publish order, one at a time', example: false },
  retrySchedule: { description: 'Retry delays in seconds; null: the global schedule', example: [5, 300, 1800] },
  circuitOpenUntil: { description: 'While the circuit is open: when the next probe may go; null when closed', example: null },
  consecutiveFailures: { description: 'Failed attempts since the last success', example: 0 },
  failingSince: { description: 'First failure of the current streak; null when healthy', example: null },
  // Attempts and delivery state
  status: { description: 'Delivery state, Svix numbering: 0 success, 1 pending, 2 fail, 3 sending', example: 0 },
  statusText: { description: 'The same state as a word: success, pending, fail, sending', example: 'success' },
  nextAttempt: { description: 'When the next try is due; null when none is scheduled', example: null },
  response: { description: "The first KiB of the receiver's answer, or why the attempt failed", example: '{"received":true}' },
  responseStatusCode: { description: 'HTTP status the receiver answered; 0 when no answer arrived', example: 200 },
  responseDurationMs: { description: 'How long the attempt took, in milliseconds', example: 87 },
  triggerType: { description: '0: scheduled attempt, 1: manual (resend, replay)', example: 0 },
  final: {
    description:
      'True when this failure ended the delivery: no automatic retry follows (refused address, unusable URL, secret or settings, 410 Gone, or the retry schedule spent). Replay it from the dead-letter list.',
    example: false,
  },
  seq: { description: 'Position in the attempt log; the SSE event id to resume from', example: 1042 },
  attemptCount: { description: 'Attempts made so far', example: 5 },
  lastAttemptAt: { description: 'When the last attempt was made', example: TIME },
  reason: { description: 'Why the delivery was dead-lettered', example: 'final: refused address 10.0.0.1' },
  // Stats
  success: { description: 'Deliveries that succeeded', example: 120 },
  fail: { description: 'Deliveries dead-lettered', example: 2 },
  pending: { description: 'Deliveries waiting for their first or next try', example: 3 },
  sending: { description: 'Deliveries being sent right now', example: 0 },
  canceled: { description: 'Svix compatibility; always 0', example: 0 },
  attempts: { description: 'Attempt counts over the window' },
  succeeded: { description: 'Successful attempts', example: 120 },
  failed: { description: 'Failed attempts', example: 4 },
  successRate: { description: 'Share of attempts that succeeded (0–1); null without attempts', example: 0.97 },
  p50DurationMs: { description: 'Median attempt duration (ms); null without attempts', example: 85 },
  p99DurationMs: { description: '99th percentile attempt duration (ms); null without attempts', example: 640 },
  backlog: { description: 'Deliveries not finished yet', example: 3 },
  buckets: { description: 'The window cut into equal time buckets, oldest first' },
  bucket: { description: 'Bucket width', example: 'hour' },
  start: { description: 'Start of the bucket', example: TIME },
  since: { description: 'Start of the window (ISO 8601, inclusive)', example: TIME },
  until: { description: 'End of the window (ISO 8601, exclusive); null: now', example: null },
  endpoints: { description: 'The same figures per endpoint' },
  // Lists
  data: { description: 'The page' },
  iterator: { description: 'Pass as `iterator` for the next page; null on the last one', example: null },
  prevIterator: { description: 'Pass as `iterator` for the previous page; null on the first one', example: null },
  done: { description: 'True when this is the last page', example: true },
  // Event types
  archived: { description: 'Archived event types are hidden from lists and refused by new endpoints', example: false },
  deprecated: { description: 'Still delivered, marked as on its way out', example: false },
  featureFlag: { description: 'Svix compatibility: the single feature flag of older clients', example: null },
  featureFlags: { description: 'Svix compatibility field, stored as given', example: null },
  groupName: { description: 'Groups event types in the dashboard', example: 'invoices' },
  schemas: { description: 'JSON Schemas of the payload by version (`"1"`): messages of this type are checked against it', example: null },
  exampleIndex: { description: 'Svix compatibility; the example payload is always the same', example: 0 },
  // Replays and tasks
  kind: { description: 'What the task or credential is', example: 'dead_letters' },
  total: { description: 'Matching items counted when the task started', example: 10 },
  task: { description: 'Svix task type', example: 'endpoint.recover' },
  // Auth, operators, keys
  token: { description: 'The secret token: send as `Authorization: Bearer <token>`; shown once', example: 'hk_3f9c2b…' },
  email: { description: 'Sign-in email', example: 'ops@acme.example' },
  password: { description: 'At least 12 characters', example: 'correct horse battery staple' },
  role: { description: 'admin may also manage operators and API keys', example: 'member' },
  lastLoginAt: { description: 'Last sign-in; null before the first', example: null },
  operator: { description: 'The signed-in operator; null for an API key' },
  scope: { description: 'root: every organization; org: one organization; app: one application', example: 'org' },
  hint: { description: 'The first characters of the token, to tell keys apart', example: 'hk_3f9c…' },
  expiresAt: { description: 'When it stops working; null: never', example: null },
  revokedAt: { description: 'When it was revoked; null while valid', example: null },
  expiry: { description: 'Lifetime in seconds', example: 3600 },
  capabilities: { description: 'Accepted for Svix compatibility; a portal token grants its whole application', example: null },
  readOnly: { description: 'A read-only portal token: no writes and no signing secrets', example: false },
  portal: { description: 'Issued by app-portal access (what expire-all ends), not by POST /api/v1/api-key', example: false },
  issuedBy: { description: 'Who issued a portal token (it works only while they do); null for keys issued on /api/v1/api-key' },
  sessionId: { description: 'Accepted for Svix compatibility', example: null },
  sessionIds: { description: 'Not supported: omit (answers 400 when given)', example: null },
  // Errors and health
  code: {
    description: 'Machine-readable error code from a closed set (`validation`, `not_found`, …); branch on it',
    example: 'validation',
  },
  detail: { description: 'What went wrong and how to fix it, for people', example: 'body.eventType: Required' },
  requestId: { description: 'Quote it when reporting a problem; also in the `x-request-id` header', example: 'req_3kT9aQ0vLmZr8YwX2nB1' },
  errors: { description: 'Each failing field with its message' },
  path: { description: 'The failing field: where (`body`, `query`, `param`) and its dotted path', example: 'body.eventType' },
  message: { description: 'What is wrong with it', example: 'Required' },
  checks: { description: "Each dependency's state" },
  database: { description: 'PostgreSQL' },
  queue: { description: 'The queue backend' },
  backend: { description: 'Which queue backend is configured', example: 'redis' },
  latencyMs: { description: 'How long the check took (ms)', example: 2 },
  error: { description: 'Why the check failed', example: 'no answer within 2000 ms' },
};

/** Names that mean something else in one schema. */
const OVERRIDES: Record<string, FieldDoc> = {
  'HealthOut.status': { description: '`ok` when every check is up', example: 'ok' },
  'ReplayTaskOut.status': { description: 'Task state', example: 'running' },
  'ReplayOut.status': { description: 'Task state', example: 'finished' },
  'RecoverOut.status': { description: 'Task state', example: 'finished' },
  'ReplayTaskOut.done': { description: 'Items processed so far', example: 4 },
  'ReplayTaskOut.kind': { description: '`dead_letters` (replay dead-lettered deliveries) or `replay_missing`', example: 'dead_letters' },
  'WhoamiOut.kind': { description: '`operator` (dashboard session) or `api_key`', example: 'api_key' },
  'ApiKeyIn.appId': { description: 'For `scope: app`: the one application the key may use', example: APP_ID },
  'LoginOut.expiresAt': { description: 'The session ends then, however active (HERALD_SESSION_TTL_S)', example: TIME },
  'AppPortalAccessOut.url': {
    description: 'The dashboard, opened on this application, with the token in the URL fragment',
    example: 'https://herald.example/#/portal?token=hk_…',
  },
  'AppPortalAccessIn.expiry': { description: 'Token lifetime in seconds: 1 h to 7 days (default 7 days)', example: 86400 },
  'OrganizationOut.name': { description: 'Organization name', example: 'Acme' },
  'OrganizationIn.name': { description: 'Organization name', example: 'Acme' },
  'EventTypeOut.name': { description: 'Event type name: letters, digits, `-`, `_`, `.`', example: 'invoice.paid' },
  'EventTypeIn.name': { description: 'Event type name: letters, digits, `-`, `_`, `.`', example: 'invoice.paid' },
  'EventTypeOut.description': { description: 'What the event means', example: 'An invoice was paid in full' },
  'EventTypeIn.description': { description: 'What the event means', example: 'An invoice was paid in full' },
  'EventExampleIn.eventType': { description: 'The event type of the example message', example: 'invoice.paid' },
  'DeadLetterReplayIn.endpointId': { description: 'Only this endpoint (id or uid)', example: EP_ID },
};

/** What each output schema's `id` looks like. */
const ID_PREFIX: Record<string, string> = {
  ApplicationOut: 'app',
  EndpointOut: 'ep',
  MessageEndpointOut: 'ep',
  MessageOut: 'msg',
  MessageAttemptOut: 'atmpt',
  AttemptStreamEvent: 'atmpt',
  DeadLetterOut: 'dlv',
  RecoverOut: 'qtask',
  ReplayTaskOut: 'qtask',
  ReplayOut: 'qtask',
  OperatorOut: 'op',
  OrganizationOut: 'org',
  ApiKeyOut: 'key',
};
for (const [schema, prefix] of Object.entries(ID_PREFIX)) {
  OVERRIDES[`${schema}.id`] = { description: `Its Herald id (\`${prefix}_…\`)`, example: `${prefix}_2mQ9Xz7bK4dT1vYc8LpA3e` };
}
OVERRIDES['AppStats.until'] = { description: 'End of the window (ISO 8601, exclusive)', example: TIME };
OVERRIDES['DeadLetterReplayIn.until'] = { description: 'Only deliveries whose message was created before this time', example: TIME };
OVERRIDES['ApiKeyIn.orgId'] = {
  description: 'Root key only: issue the key in this organization (default: your own)',
  example: 'org_2mQ9Xv0aB1cD2eF3gH4iJ5',
};
OVERRIDES['ApiKeyIn.expiresAt'] = {
  description: 'When the key stops working (ISO 8601); absent: never',
  example: '2027-01-01T00:00:00.000Z',
};

/** Query, path and header parameters, by name. */
const PARAMETERS: Record<string, FieldDoc> = {
  app_id: { description: 'Application id (`app_…`) or uid', example: 'acme-corp' },
  endpoint_id: { description: 'Endpoint id (`ep_…`) or uid', example: EP_ID },
  msg_id: { description: 'Message id (`msg_…`) or your eventId', example: MSG_ID },
  attempt_id: { description: 'Attempt id (`atmpt_…`)', example: 'atmpt_2mQ9Y0aB1cD2eF3gH4iJ5k' },
  delivery_id: {
    description: 'Delivery id (`dlv_…`), the `id` of a dead-letter entry; not a message id',
    example: 'dlv_2mQ9Y1aB1cD2eF3gH4iJ5k',
  },
  event_type_name: { description: 'Event type name', example: 'invoice.paid' },
  task_id: { description: 'Task id (`qtask_…`)', example: 'qtask_2mQ9Y2aB1cD2eF3gH4iJ5k' },
  key_id: { description: 'API key id (`key_…`)', example: 'key_2mQ9Y3aB1cD2eF3gH4iJ5k' },
  operator_id: { description: 'Operator id (`op_…`)', example: 'op_2mQ9Y4aB1cD2eF3gH4iJ5k' },
  limit: { description: 'Page size, 1–250', example: 50 },
  iterator: { description: 'The `iterator` (or `prevIterator`) of the previous answer' },
  order: { description: '`ascending` or `descending` (the default)' },
  before: { description: 'Only items created before this time (ISO 8601)', example: TIME },
  after: { description: 'Only items created after this time (ISO 8601)', example: TIME },
  since: { description: 'Start of the window (ISO 8601, inclusive)', example: TIME },
  until: { description: 'End of the window (ISO 8601, exclusive)', example: TIME },
  channel: { description: 'Only messages with this channel', example: 'eu' },
  tag: { description: 'Only messages with this tag', example: 'customer-42' },
  event_types: { description: 'Only these event types (comma-separated names)', example: 'invoice.paid,invoice.failed' },
  status: { description: 'Only this delivery state: 0 success, 1 pending, 2 fail, 3 sending', example: 2 },
  status_code_class: { description: 'Only answers of this class: 0 (no answer), 100, 200, 300, 400, 500', example: 500 },
  with_content: { description: 'Include payloads (default true; the svix 2.x client sends false)', example: 'true' },
  with_msg: { description: "Include each attempt's message (without payload)", example: 'false' },
  expanded_statuses: { description: 'Svix compatibility; changes nothing here', example: 'false' },
  include_archived: { description: 'Include archived event types', example: 'false' },
  expunge: { description: 'Delete the event type for good instead of archiving it', example: 'false' },
  get_if_exists: { description: 'Answer the existing application instead of 409 when the uid is taken', example: 'false' },
  bucket: { description: 'Bucket width: minute, hour or day', example: 'hour' },
  reason: { description: 'Case-insensitive substring of the failure reason', example: 'timed out' },
};

/** Operations whose summary alone leaves a question open, or which carry none. */
const OPERATIONS: Record<string, string> = {
  'POST /api/v1/app':
    'Applications hold endpoints and messages: usually one per customer of yours. 409 when the uid is taken (unless get_if_exists=true).',
  'GET /api/v1/app': 'Pages with `iterator`; `order=ascending` for oldest first.',
  'GET /api/v1/app/{app_id}': 'By `app_…` id or by your uid.',
  'PUT /api/v1/app/{app_id}':
    'Every field is replaced; absent ones take their defaults. Answers 201 when it created the application, 200 when it replaced one.',
  'PATCH /api/v1/app/{app_id}': 'Absent fields stay as they are; null clears. The body is required (`{}` changes nothing).',
  'DELETE /api/v1/app/{app_id}': 'Everything under it goes too. Cannot be undone.',
  'GET /api/v1/event-type': 'Archived ones only with include_archived=true.',
  'POST /api/v1/event-type': 'Event types name what messages mean; registering them is optional unless you want payload schemas checked.',
  'GET /api/v1/event-type/{event_type_name}': 'Includes archived event types.',
  'PATCH /api/v1/event-type/{event_type_name}': 'The body is required (`{}` changes nothing).',
  'DELETE /api/v1/event-type/{event_type_name}': 'Archiving keeps it for existing endpoints and history; expunge=true removes it.',
  'PUT /api/v1/event-type/{event_type_name}': 'Every field is replaced; 201 when created, 200 when replaced.',
  'POST /api/v1/app/{app_id}/endpoint':
    'Read the generated secret with GET …/secret to verify signatures. URLs to private or loopback addresses are refused at send time unless allowed by HERALD_OUTBOUND_ALLOWLIST.',
  'GET /api/v1/app/{app_id}/endpoint': 'Pages with `iterator`.',
  'GET /api/v1/app/{app_id}/endpoint/{endpoint_id}': 'By `ep_…` id or by your uid.',
  'PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}': 'Every field is replaced; 201 when created, 200 when replaced.',
  'PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}': 'Absent fields stay as they are. The body is required.',
  'DELETE /api/v1/app/{app_id}/endpoint/{endpoint_id}': 'Its pending deliveries are dropped with it.',
  'GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers':
    'Values of sensitive headers (Authorization, cookies, tokens) are not returned; their names are listed in `sensitive`.',
  'PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers': 'Headers not in the body are removed.',
  'PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers': 'A header may not be both set and deleted.',
  'GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret':
    'Pass it to a Standard Webhooks verifier (the `standardwebhooks` or `svix` package) on the receiving side.',
  'POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate':
    'Optionally with your own `key`. During the grace period both secrets sign, so receivers can switch without losing a webhook.',
  'POST /api/v1/app/{app_id}/msg':
    'Body: `{"eventType": "invoice.paid", "payload": {...}}`, with `content-type: application/json`. Answers 202 once the message is committed; every endpoint whose filters match then gets it, signed. `eventId` makes it idempotent (409 on repeat).',
  'GET /api/v1/app/{app_id}/msg': 'Filters: event_types, channel, tag, before, after. with_content=false leaves payloads out.',
  'GET /api/v1/app/{app_id}/msg/{msg_id}': 'By `msg_…` id or by your eventId. An expunged message reads `{"expired": true}`.',
  'GET /api/v1/app/{app_id}/attempt/msg/{msg_id}':
    'Each attempt says whether it succeeded (`status`), what the receiver answered, and whether it was `final`.',
  'GET /api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}': "with_msg=true adds each attempt's message (without payload).",
  'GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/msg': "One entry per message, with the delivery's state and next try.",
  'GET /api/v1/app/{app_id}/msg/{msg_id}/endpoint': 'One entry per endpoint the message was fanned out to.',
  'GET /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}': 'The attempt must belong to that message.',
  'GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/stats': 'Counts deliveries, not attempts: a delivery retried three times counts once.',
  'GET /api/v1/app/{app_id}/stats': 'Over [since, until) (default: the last 24 hours), cut into buckets of `bucket`.',
  'POST /api/v1/app/{app_id}/dead-letter/{delivery_id}/replay':
    'Takes the delivery id (`dlv_…`, the `id` of a dead-letter entry), not the message id; to send a message to an endpoint again, use …/msg/{msg_id}/endpoint/{endpoint_id}/resend.',
  'GET /api/v1/app/{app_id}/replay/{task_id}/stream': 'Send `Accept: text/event-stream`. Ends with the task.',
  'GET /api/v1/app/{app_id}/replay': 'Pages with `iterator`.',
  'GET /api/v1/app/{app_id}/replay/{task_id}': 'Poll it, or follow …/stream.',
  'GET /api/v1/auth/whoami': 'Useful to check a token: which organization, scope and application it opens.',
  'POST /api/v1/auth/app-portal-access/{app_id}':
    'Give the URL to your customer: it opens the dashboard on their application only. End the tokens with …/expire-all.',
  'POST /api/v1/organization': 'Then issue its first key with POST /api/v1/api-key and `orgId`.',
  'GET /api/v1/organization': 'Pages with `iterator`.',
  'POST /api/v1/api-key': 'scope `org` (everything in the organization) or `app` (one application, like a portal token without expiry).',
  'GET /api/v1/api-key': "Shows each key's hint, scope, expiry and revocation, never its token.",
  'DELETE /api/v1/api-key/{key_id}': 'The root key cannot be revoked by an organization key.',
};

/** Svix-style ids: `v1.<resource>.<verb>`, derived from the path when a route does not name its own. */
export function operationIdFor(method: string, path: string): string {
  const segments = path.replace(/^\/api\/v1\//, '').split('/');
  const words = segments.filter((segment) => !segment.startsWith('{')).map((segment) => segment.replace(/-/g, '_'));
  const endsWithParam = segments.at(-1)?.startsWith('{') ?? false;
  // A POST to a verb (`…/resend`, `…/rotate`) is named by it; to a collection, it creates.
  const action = method === 'post' && ACTIONS.has(words.at(-1) ?? '');
  const single = endsWithParam || SINGULAR.has(words.at(-1) ?? '');
  const verb = method === 'get' ? (single ? 'get' : 'list') : method === 'post' ? 'create' : method === 'put' ? 'update' : method;
  return `v1.${words.join('.')}${action ? '' : `.${verb}`}`;
}

/** Paths that name one thing, not a collection. */
const SINGULAR = new Set(['secret', 'headers', 'stats', 'whoami', 'stream', 'attempts', 'health', 'ping']);

const ACTIONS = new Set([
  'replay',
  'rotate',
  'resend',
  'recover',
  'cancel',
  'expire_all',
  'send_example',
  'replay_missing',
  'login',
  'logout',
]);

type Json = Record<string, unknown>;

/** Whether an example is a value the schema takes (type and enum), so no example contradicts its field. */
function fits(example: unknown, schema: Json): boolean {
  if (Array.isArray(schema.enum)) return schema.enum.includes(example);
  const declared = schema.type;
  if (declared === undefined) return true;
  const types = Array.isArray(declared) ? declared : [declared];
  const actual =
    example === null
      ? 'null'
      : Array.isArray(example)
        ? 'array'
        : typeof example === 'number'
          ? Number.isInteger(example)
            ? ['integer', 'number']
            : ['number']
          : typeof example;
  return (Array.isArray(actual) ? actual : [actual]).some((type) => types.includes(type));
}

function describeProperties(schema: Json, owner: string | undefined): void {
  const properties = schema.properties as Record<string, Json> | undefined;
  if (properties) {
    for (const [name, property] of Object.entries(properties)) {
      const doc = (owner && OVERRIDES[`${owner}.${name}`]) || FIELDS[name];
      if (doc) {
        property.description ??= doc.description;
        if (doc.example !== undefined && property.example === undefined && fits(doc.example, property)) property.example = doc.example;
        else if (property.example === undefined && Array.isArray(property.enum)) property.example = property.enum[0];
      }
      describeProperties(property, undefined);
    }
  }
  for (const key of ['items', 'additionalProperties']) {
    const nested = schema[key];
    if (nested && typeof nested === 'object') describeProperties(nested as Json, undefined);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[key];
    if (Array.isArray(list)) for (const nested of list) describeProperties(nested as Json, owner);
  }
}

/** Fills in descriptions, examples and operation ids the routes left out. */
export function documentApi<T extends object>(document: T): T {
  const doc = document as unknown as { paths?: Record<string, Record<string, Json>>; components?: { schemas?: Record<string, Json> } };
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) describeProperties(schema, name);
  const taken = new Set<string>();
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      let id = (operation.operationId as string | undefined) ?? operationIdFor(method, path);
      // Two routes deriving one id (`…/dead-letter/replay` and `…/dead-letter/{delivery_id}/replay`): the one with more parameters says which.
      if (taken.has(id)) id = `${id}.by_${path.match(/\{(\w+)\}(?!.*\{)/)?.[1] ?? method}`;
      taken.add(id);
      operation.operationId = id;
      const extra = OPERATIONS[`${method.toUpperCase()} ${path}`];
      if (operation.description === undefined) operation.description = extra ?? operation.summary;
      for (const parameter of (operation.parameters as Json[] | undefined) ?? []) {
        const doc = PARAMETERS[parameter.name as string];
        const schema = (parameter.schema ?? {}) as Json;
        parameter.description ??= schema.description ?? doc?.description;
        if (doc?.example !== undefined && parameter.example === undefined && schema.example === undefined && fits(doc.example, schema)) {
          parameter.example = doc.example;
        }
      }
      const body = (operation.requestBody as { content?: Record<string, { schema?: Json }> } | undefined)?.content;
      for (const media of Object.values(body ?? {})) if (media.schema) describeProperties(media.schema, undefined);
      for (const response of Object.values((operation.responses as Record<string, Json>) ?? {})) {
        for (const media of Object.values((response.content as Record<string, { schema?: Json }>) ?? {})) {
          if (media.schema) describeProperties(media.schema, undefined);
        }
      }
    }
  }
  return document;
}

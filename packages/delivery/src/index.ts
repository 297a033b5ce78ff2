export { assertKafkaReachable, createKafkaPublisher, type KafkaClusterSettings, type KafkaPublisher, type KafkaRecord } from './kafka';
export {
  type AddressVetter,
  createAddressVetter,
  guardedLookup,
  isRefusal,
  RefusedAddressError,
  type Resolve,
  type ResolvedAddress,
  refusedSocket,
} from './outbound';
export {
  createWebhookSender,
  type Dial,
  FINAL_FAILURES,
  parseRetryAfter,
  RESPONSE_LIMIT_BYTES,
  type SendFailure,
  type SendRequest,
  type SendResult,
  type WebhookSender,
  type WebhookSenderOptions,
} from './sender';
export { decodeSecret, type SignatureHeaders, type SignatureInput, signatureHeaders } from './signing';
export {
  type AddressClass,
  type AddressPolicy,
  type AddressPolicyOptions,
  type Cidr,
  classifyAddress,
  createAddressPolicy,
  describeAddressClass,
  InvalidCidrError,
  inCidrList,
  parseCidr,
  parseCidrList,
} from './ssrf';

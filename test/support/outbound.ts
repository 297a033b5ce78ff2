import { createAddressPolicy, createWebhookSender, type Dial, type Resolve, type WebhookSender } from '@herald/delivery';
import { buildConnector } from 'undici';

/**
 * FAKE dial, for tests only: this machine's network forbids traffic to any
 * non-loopback address, so even if the SSRF guard under test were broken no
 * test may open a socket elsewhere. Loopback targets go to undici's real
 * connector; anything else throws before a socket exists.
 */
export const loopbackOnlyDial: Dial = (() => {
  const real = buildConnector({ timeout: 5_000 });
  return (options, callback) => {
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(options.hostname)) {
      throw new Error(`fake dial: refusing to open a socket to non-loopback ${options.hostname}`);
    }
    real(options, callback);
  };
})();

/** FAKE resolver: fixed answers for `.test` names, so no test asks a real DNS server. */
export const testResolve: Resolve = async (hostname) => {
  const answers: Record<string, string> = {
    'receiver.test': '127.0.0.1',
    'metadata.test': '169.254.169.254',
    'private.test': '10.0.0.1',
  };
  const address = answers[hostname];
  if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return [{ address, family: 4 }];
};

/** The real sender and guard, with the two fakes above in place of DNS and the raw socket. */
export function testSender(options: { timeoutMs?: number; allowlist?: string[] } = {}): WebhookSender {
  return createWebhookSender({
    timeoutMs: options.timeoutMs ?? 5000,
    policy: createAddressPolicy({ allowlist: options.allowlist ?? ['127.0.0.0/8'] }),
    userAgent: 'Herald-Webhooks/test',
    resolve: testResolve,
    dial: loopbackOnlyDial,
  });
}

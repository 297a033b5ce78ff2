import type { Context } from 'hono';
import type { ApiEnv } from '../../context';

/** How often an open stream re-checks its credential: sign-out, removal and revocation reach streams within about this long. */
export const CREDENTIAL_CHECK_MS = 1000;

/**
 * Calls `onInvalid` once the request's credential stops being good (revoked
 * key, signed-out or removed operator, expired session), so a stream opened
 * with it does not outlive it. The client's reconnect then gets the 401. A
 * failed check (database unreachable) keeps the stream: its own reads fail
 * the same way and end it.
 */
export function watchCredential(c: Context<ApiEnv>, signal: AbortSignal, onInvalid: () => void): void {
  const stillValid = c.get('credentialStillValid');
  if (!stillValid) return;
  let checking = false;
  const timer = setInterval(async () => {
    if (checking || signal.aborted) return;
    checking = true;
    try {
      if (!(await stillValid().catch(() => true)) && !signal.aborted) {
        clearInterval(timer);
        onInvalid();
      }
    } finally {
      checking = false;
    }
  }, CREDENTIAL_CHECK_MS);
  timer.unref();
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

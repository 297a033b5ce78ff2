/**
 * Attempts per client address in a fixed one-minute window, in this process's
 * memory. It bounds the argon2 work one address can cause (an email nobody
 * has costs a full verify too, and has no account to lock); N API processes
 * allow N times as much, which is still bounded, and needs no shared store.
 */
export function createClientLimit(options: { perMinute: number; maxClients?: number }) {
  const windowMs = 60_000;
  const maxClients = options.maxClients ?? 10_000;
  const windows = new Map<string, { count: number; start: number }>();

  return {
    /** Counts one attempt; returns the seconds to wait when over the limit, 0 otherwise. */
    take(client: string, now = Date.now()): number {
      let window = windows.get(client);
      if (!window || now - window.start >= windowMs) {
        if (!window && windows.size >= maxClients) {
          for (const [key, value] of windows) if (now - value.start >= windowMs) windows.delete(key);
          // Still full of live windows: forget them rather than grow without bound.
          if (windows.size >= maxClients) windows.clear();
        }
        window = { count: 0, start: now };
        windows.set(client, window);
      }
      window.count++;
      return window.count > options.perMinute ? Math.max(1, Math.ceil((window.start + windowMs - now) / 1000)) : 0;
    },
  };
}

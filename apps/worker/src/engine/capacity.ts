/**
 * Sending capacity of one worker process, shared fairly between endpoints.
 *
 * At most `total` sends are in flight in the process and at most
 * `perEndpoint` to any one endpoint, so a slow or hanging endpoint can fill
 * only its own share and never the slots a healthy endpoint needs. Work for an
 * endpoint at its cap waits in that endpoint's own line (in order, up to
 * `maxWaitingPerEndpoint`); beyond that it is turned away and the caller
 * schedules it again later. When the whole process is full, callers wait for
 * a slot in arrival order, taking turns with endpoints whose lines were only
 * held up by the process limit.
 *
 * Items are data (a delivery to claim, or one already claimed), not closures,
 * so what is still waiting at shutdown can be handed back to the queue.
 */
export interface SendCapacity<T> {
  /**
   * Admits `item` for `endpointId`: started now, or queued behind the
   * endpoint's own earlier items ('queued'), or refused because that line is
   * full ('full'). Waits only while the whole process is at its limit.
   */
  submit(endpointId: string, item: T): Promise<'started' | 'queued' | 'full'>;
  /** How many more items the endpoint takes now, sending or in its line (a soft bound: see {@link admit}). */
  room(endpointId: string): number;
  /**
   * Takes `item` without waiting: started if the endpoint and the process
   * have a slot, else at the end of the endpoint's line (it is started in
   * its turn). For work already claimed (fan-out's), sized by {@link room}.
   */
  admit(endpointId: string, item: T): void;
  /** Removes and returns everything still waiting (for shutdown). */
  takeWaiting(): { endpointId: string; item: T }[];
  /** Resolves once nothing is in flight. */
  idle(): Promise<void>;
  stats(): { inFlight: number; waiting: number };
}

interface EndpointLine<T> {
  active: number;
  waiting: T[];
  /** In the admissions line, waiting for a process slot. */
  admitting: boolean;
  /** Callers of this endpoint waiting for a process slot: later items queue behind them. */
  callers: number;
}

type Admission = { kind: 'caller'; admit: () => void } | { kind: 'endpoint'; endpointId: string };

export function createSendCapacity<T>(options: {
  total: number;
  perEndpoint: number;
  maxWaitingPerEndpoint: number;
  /** Runs one item; never rejects (failures are the item's own business). */
  run: (endpointId: string, item: T) => Promise<void>;
}): SendCapacity<T> {
  const { total, perEndpoint, maxWaitingPerEndpoint } = options;
  let active = 0;
  const lines = new Map<string, EndpointLine<T>>();
  const admissions: Admission[] = [];
  let idleWaiters: (() => void)[] = [];

  const lineOf = (endpointId: string) => {
    let line = lines.get(endpointId);
    if (!line) {
      line = { active: 0, waiting: [], admitting: false, callers: 0 };
      lines.set(endpointId, line);
    }
    return line;
  };

  const forget = (endpointId: string, line: EndpointLine<T>) => {
    if (line.active === 0 && line.waiting.length === 0 && !line.admitting && line.callers === 0) lines.delete(endpointId);
  };

  /** Runs an item in a slot already counted in `active` and `line.active`. */
  const start = (endpointId: string, line: EndpointLine<T>, item: T) => {
    options.run(endpointId, item).finally(() => finish(endpointId, line));
  };

  /** Starts what waits in an endpoint's line while it has room: now if the process has some, else in its turn. */
  const pump = (endpointId: string, line: EndpointLine<T>) => {
    while (line.waiting.length > 0 && line.active < perEndpoint && !line.admitting) {
      if (admissions.length === 0 && active < total) {
        line.active++;
        active++;
        start(endpointId, line, line.waiting.shift()!);
      } else {
        line.admitting = true;
        admissions.push({ kind: 'endpoint', endpointId });
      }
    }
  };

  const finish = (endpointId: string, line: EndpointLine<T>) => {
    line.active--;
    active--;
    // The endpoint's own line goes first if the process has room; otherwise it takes its turn.
    pump(endpointId, line);
    admitNext();
    forget(endpointId, line);
    if (active === 0 && admissions.length === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  /** Hands free process slots to whoever waits for one, in order. */
  const admitNext = () => {
    while (active < total && admissions.length > 0) {
      const next = admissions.shift()!;
      if (next.kind === 'caller') {
        active++;
        next.admit();
        continue;
      }
      const line = lines.get(next.endpointId);
      if (!line) continue;
      line.admitting = false;
      if (line.waiting.length === 0 || line.active >= perEndpoint) {
        forget(next.endpointId, line);
        continue;
      }
      line.active++;
      active++;
      start(next.endpointId, line, line.waiting.shift()!);
      // More of its line may fit: it takes its turn again, behind whoever waits now.
      pump(next.endpointId, line);
    }
  };

  return {
    async submit(endpointId, item) {
      const line = lineOf(endpointId);
      // Behind the endpoint's own earlier items (queued, or waiting for a process slot), to keep their order.
      if (line.active >= perEndpoint || line.waiting.length > 0 || line.admitting || line.callers > 0) {
        if (line.waiting.length >= maxWaitingPerEndpoint) {
          forget(endpointId, line);
          return 'full';
        }
        line.waiting.push(item);
        return 'queued';
      }
      if (active >= total || admissions.length > 0) {
        // The slot is counted for us by admitNext. While we wait, later items of this endpoint
        // queue behind us (admitted work too), so the endpoint still has room when we get in.
        line.callers++;
        await new Promise<void>((admit) => admissions.push({ kind: 'caller', admit }));
        line.callers--;
      } else {
        active++;
      }
      line.active++;
      start(endpointId, line, item);
      // Items queued behind us while we waited may fit beside us.
      pump(endpointId, line);
      return 'started';
    },

    room(endpointId) {
      const line = lines.get(endpointId);
      if (!line) return perEndpoint + maxWaitingPerEndpoint;
      return Math.max(0, perEndpoint + maxWaitingPerEndpoint - line.active - line.waiting.length);
    },

    admit(endpointId, item) {
      const line = lineOf(endpointId);
      line.waiting.push(item);
      pump(endpointId, line);
    },

    takeWaiting() {
      const taken: { endpointId: string; item: T }[] = [];
      for (const [endpointId, line] of lines) {
        for (const item of line.waiting) taken.push({ endpointId, item });
        line.waiting = [];
      }
      return taken;
    },

    idle() {
      if (active === 0 && admissions.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },

    stats() {
      let waiting = 0;
      for (const line of lines.values()) waiting += line.waiting.length;
      return { inFlight: active, waiting };
    },
  };
}

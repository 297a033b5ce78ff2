import { describe, expect, it } from 'vitest';
import { createSendCapacity } from '../src/engine/capacity';

/** Lets settled promises run their continuations (capacity's `.finally` and submit's await). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Tracks whether a promise has settled yet, and with what. */
function track<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T } = { done: false };
  promise.then((value) => {
    state.done = true;
    state.value = value;
  });
  return state;
}

/** A capacity whose sends (items are names, e.g. 'a1' for endpoint 'a') run until the test finishes them. */
function harness(limits: { total: number; perEndpoint: number; maxWaitingPerEndpoint?: number }) {
  const started: string[] = [];
  const running = new Map<string, () => void>();
  const capacity = createSendCapacity<string>({
    maxWaitingPerEndpoint: 10,
    ...limits,
    run: (_endpointId, item) =>
      new Promise<void>((resolve) => {
        started.push(item);
        running.set(item, resolve);
      }),
  });
  const finish = async (item: string) => {
    const resolve = running.get(item);
    if (!resolve) throw new Error(`${item} is not running`);
    running.delete(item);
    resolve();
    await flush();
  };
  return { capacity, started, running, finish };
}

describe('createSendCapacity', () => {
  it('runs at most perEndpoint per endpoint and queues the rest in order', async () => {
    const { capacity, started, finish } = harness({ total: 10, perEndpoint: 2 });
    const admitted = [];
    for (const item of ['a1', 'a2', 'a3', 'a4']) admitted.push(await capacity.submit('a', item));
    expect(admitted).toEqual(['started', 'started', 'queued', 'queued']);
    expect(started).toEqual(['a1', 'a2']);
    expect(capacity.stats()).toEqual({ inFlight: 2, waiting: 2 });

    // Whichever finishes, the endpoint's line goes on in order.
    await finish('a2');
    expect(started).toEqual(['a1', 'a2', 'a3']);
    await finish('a1');
    expect(started).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(capacity.stats()).toEqual({ inFlight: 2, waiting: 0 });
  });

  it("turns work away once the endpoint's line holds maxWaitingPerEndpoint", async () => {
    const { capacity, started, finish } = harness({ total: 10, perEndpoint: 1, maxWaitingPerEndpoint: 2 });
    expect(await capacity.submit('a', 'a1')).toBe('started');
    expect(await capacity.submit('a', 'a2')).toBe('queued');
    expect(await capacity.submit('a', 'a3')).toBe('queued');
    expect(await capacity.submit('a', 'a4')).toBe('full');
    await finish('a1');
    expect(await capacity.submit('a', 'a5')).toBe('queued');
    await finish('a2');
    await finish('a3');
    await finish('a5');
    expect(started).toEqual(['a1', 'a2', 'a3', 'a5']);
  });

  it('never lets a hanging endpoint hold up another while the process has room', async () => {
    const { capacity, started } = harness({ total: 4, perEndpoint: 2, maxWaitingPerEndpoint: 3 });
    // 'a' never answers: its share is taken, its line full.
    for (const item of ['a1', 'a2', 'a3', 'a4', 'a5']) await capacity.submit('a', item);
    expect(await capacity.submit('a', 'a6')).toBe('full');
    expect(await capacity.submit('b', 'b1')).toBe('started');
    expect(await capacity.submit('c', 'c1')).toBe('started');
    expect(started).toEqual(['a1', 'a2', 'b1', 'c1']);
  });

  it('makes callers wait while the process is full and admits them in order as slots free', async () => {
    const { capacity, started, finish } = harness({ total: 2, perEndpoint: 2 });
    await capacity.submit('a', 'a1');
    await capacity.submit('a', 'a2');
    const b = track(capacity.submit('b', 'b1'));
    const c = track(capacity.submit('c', 'c1'));
    const d = track(capacity.submit('d', 'd1'));
    await flush();
    expect([b.done, c.done, d.done]).toEqual([false, false, false]);
    expect(capacity.stats()).toEqual({ inFlight: 2, waiting: 0 });

    await finish('a1');
    expect([b.value, c.done, d.done]).toEqual(['started', false, false]);
    await finish('a2');
    expect([c.value, d.done]).toEqual(['started', false]);
    await finish('b1');
    expect(d.value).toBe('started');
    expect(started).toEqual(['a1', 'a2', 'b1', 'c1', 'd1']);
  });

  it('takes turns between waiting callers and endpoint lines held up by the process limit', async () => {
    const { capacity, started, finish } = harness({ total: 2, perEndpoint: 2 });
    await capacity.submit('a', 'a1');
    await capacity.submit('a', 'a2');
    expect(await capacity.submit('a', 'a3')).toBe('queued');
    const b = track(capacity.submit('b', 'b1'));
    await flush();
    // b was waiting before a1 finished: it goes first, and 'a' takes its turn after it.
    await finish('a1');
    expect(b.value).toBe('started');
    const c = track(capacity.submit('c', 'c1'));
    await finish('a2');
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(c.done).toBe(false);
    await finish('b1');
    expect(c.value).toBe('started');
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3', 'c1']);
  });

  it('queues a waiting caller whose endpoint reached its cap while it waited, giving the process slot back', async () => {
    const { capacity, started, finish } = harness({ total: 2, perEndpoint: 1 });
    await capacity.submit('a', 'a1');
    await capacity.submit('b', 'b1');
    const c1 = track(capacity.submit('c', 'c1'));
    const c2 = track(capacity.submit('c', 'c2'));
    await flush();
    await finish('a1');
    expect(c1.value).toBe('started');
    await finish('b1');
    expect(c2.value).toBe('queued');
    expect(capacity.stats()).toEqual({ inFlight: 1, waiting: 1 });
    // The slot it gave back is free for others.
    expect(await capacity.submit('d', 'd1')).toBe('started');
    await finish('c1');
    expect(started).toEqual(['a1', 'b1', 'c1', 'd1', 'c2']);
  });

  describe('a caller waiting for a process slot', () => {
    it('keeps later items of its endpoint behind it', async () => {
      const { capacity, started, finish } = harness({ total: 2, perEndpoint: 2 });
      await capacity.submit('a', 'a1');
      await capacity.submit('b', 'b1');
      const c1 = track(capacity.submit('c', 'c1'));
      await flush();
      expect(c1.done).toBe(false);
      // c2 does not overtake c1: it queues behind it on the endpoint.
      expect(await capacity.submit('c', 'c2')).toBe('queued');
      await finish('a1');
      expect(c1.value).toBe('started');
      await finish('b1');
      expect(started).toEqual(['a1', 'b1', 'c1', 'c2']);
    });

    it('counts toward its endpoint line, which turns items away once full', async () => {
      const { capacity, finish } = harness({ total: 1, perEndpoint: 2, maxWaitingPerEndpoint: 1 });
      await capacity.submit('a', 'a1');
      const c1 = track(capacity.submit('c', 'c1'));
      await flush();
      expect(c1.done).toBe(false);
      expect(await capacity.submit('c', 'c2')).toBe('queued');
      expect(await capacity.submit('c', 'c3')).toBe('full');
      expect(capacity.stats().waiting).toBe(1);
      await finish('a1');
      expect(c1.value).toBe('started');
    });
  });

  describe('room and admit (work already claimed)', () => {
    it('reports what the endpoint takes now, sending or in its line', async () => {
      const { capacity, finish } = harness({ total: 10, perEndpoint: 2, maxWaitingPerEndpoint: 3 });
      expect(capacity.room('a')).toBe(5);
      capacity.admit('a', 'a1');
      capacity.admit('a', 'a2');
      capacity.admit('a', 'a3');
      expect(capacity.room('a')).toBe(2);
      expect(capacity.room('b')).toBe(5);
      await finish('a1');
      expect(capacity.room('a')).toBe(3);
    });

    it('starts admitted items within the caps and lines up the rest, in order behind earlier ones', async () => {
      const { capacity, started, finish } = harness({ total: 10, perEndpoint: 2 });
      expect(await capacity.submit('a', 'a1')).toBe('started');
      capacity.admit('a', 'a2');
      capacity.admit('a', 'a3');
      expect(await capacity.submit('a', 'a4')).toBe('queued');
      expect(started).toEqual(['a1', 'a2']);
      await finish('a1');
      await finish('a2');
      expect(started).toEqual(['a1', 'a2', 'a3', 'a4']);
    });

    it('gives every slot the process frees to an endpoint line with room, not only its first item', async () => {
      const { capacity, started, finish } = harness({ total: 2, perEndpoint: 2 });
      await capacity.submit('a', 'a1');
      await capacity.submit('b', 'b1');
      capacity.admit('c', 'c1');
      capacity.admit('c', 'c2');
      await finish('a1');
      expect(started).toEqual(['a1', 'b1', 'c1']);
      // c2 fits beside c1 (two per endpoint): the slot b1 frees is its, without waiting for c1.
      await finish('b1');
      expect(started).toEqual(['a1', 'b1', 'c1', 'c2']);
    });

    it('never waits: when the process is full, an admitted item takes its turn with waiting callers', async () => {
      const { capacity, started, finish } = harness({ total: 1, perEndpoint: 2 });
      await capacity.submit('a', 'a1');
      const b1 = track(capacity.submit('b', 'b1'));
      capacity.admit('c', 'c1');
      await flush();
      expect(started).toEqual(['a1']);
      await finish('a1');
      expect(b1.value).toBe('started');
      await finish('b1');
      expect(started).toEqual(['a1', 'b1', 'c1']);
    });
  });

  it('takeWaiting returns what waits and clears it', async () => {
    const { capacity, started, finish } = harness({ total: 10, perEndpoint: 1 });
    for (const item of ['a1', 'a2', 'a3']) await capacity.submit('a', item);
    for (const item of ['b1', 'b2']) await capacity.submit('b', item);
    expect(capacity.takeWaiting()).toEqual([
      { endpointId: 'a', item: 'a2' },
      { endpointId: 'a', item: 'a3' },
      { endpointId: 'b', item: 'b2' },
    ]);
    expect(capacity.takeWaiting()).toEqual([]);
    expect(capacity.stats()).toEqual({ inFlight: 2, waiting: 0 });
    await finish('a1');
    await finish('b1');
    expect(started).toEqual(['a1', 'b1']);
  });

  it('idle() resolves only once nothing is in flight', async () => {
    const { capacity, finish } = harness({ total: 10, perEndpoint: 1 });
    await capacity.idle();

    await capacity.submit('a', 'a1');
    await capacity.submit('a', 'a2');
    capacity.admit('b', 'b1');
    const idle = track(capacity.idle());
    await finish('a1');
    expect(idle.done).toBe(false); // a2 took over
    await finish('a2');
    expect(idle.done).toBe(false); // b1 still runs
    await finish('b1');
    expect(idle.done).toBe(true);
  });

  it('never exceeds its caps and runs every admitted item once, whatever the interleaving', async () => {
    const total = 5;
    const perEndpoint = 2;
    const { capacity, started, running, finish } = harness({ total, perEndpoint, maxWaitingPerEndpoint: 3 });
    const endpoints = ['a', 'b', 'c', 'd'];
    const admitted: string[] = [];
    const pending: Promise<unknown>[] = [];
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const check = () => {
      const inFlight = new Map<string, number>();
      for (const item of running.keys()) inFlight.set(item[0]!, (inFlight.get(item[0]!) ?? 0) + 1);
      let sum = 0;
      for (const count of inFlight.values()) {
        expect(count).toBeLessThanOrEqual(perEndpoint);
        sum += count;
      }
      expect(sum).toBeLessThanOrEqual(total);
      expect(capacity.stats().inFlight).toBe(sum);
    };

    for (let step = 0; step < 400; step++) {
      const endpointId = endpoints[random(endpoints.length)]!;
      const action = random(4);
      if (action === 0 || running.size === 0) {
        const item = `${endpointId}${step}`;
        pending.push(
          capacity.submit(endpointId, item).then((result) => {
            if (result !== 'full') admitted.push(item);
          }),
        );
      } else if (action === 1 && capacity.room(endpointId) > 0) {
        const item = `${endpointId}${step}`;
        capacity.admit(endpointId, item);
        admitted.push(item);
      } else if (running.size > 0) {
        await finish([...running.keys()][random(running.size)]!);
      }
      await flush();
      check();
    }
    // Drain: finish everything.
    while (running.size > 0) await finish([...running.keys()][0]!);
    await Promise.all(pending);
    await capacity.idle();
    expect(started.slice().sort()).toEqual(admitted.sort());
    expect(capacity.stats()).toEqual({ inFlight: 0, waiting: 0 });
  });
});

import { useCallback, useEffect, useRef } from 'react';

interface TaskState {
  timer: ReturnType<typeof setTimeout> | undefined;
  running: boolean;
  again: boolean;
  lastRun: number;
  disposed: boolean;
}

/**
 * `trigger()` runs `task` at most once per `intervalMs` (waiting at least
 * `leadMs`, so the rows behind a burst of events are committed before the
 * refetch), never twice at once; and every `everyMs` regardless.
 */
export function useThrottledTask(task: () => Promise<void>, options: { intervalMs: number; leadMs?: number; everyMs?: number }) {
  const { intervalMs, leadMs = 1000, everyMs } = options;
  const taskRef = useRef(task);
  useEffect(() => {
    taskRef.current = task;
  });
  const state = useRef<TaskState>({ timer: undefined, running: false, again: false, lastRun: 0, disposed: false });

  const schedule = useCallback(
    (wait: number) => {
      const s = state.current;
      if (s.disposed || s.timer !== undefined) return;
      s.timer = setTimeout(async () => {
        s.timer = undefined;
        if (s.running) {
          s.again = true;
          return;
        }
        s.running = true;
        s.lastRun = Date.now();
        try {
          await taskRef.current();
        } catch (error) {
          console.error('refresh failed', error);
        } finally {
          s.running = false;
          if (s.again) {
            s.again = false;
            schedule(intervalMs);
          }
        }
      }, wait);
    },
    [intervalMs],
  );

  const trigger = useCallback(() => {
    const s = state.current;
    schedule(Math.max(leadMs, s.lastRun + intervalMs - Date.now()));
  }, [intervalMs, leadMs, schedule]);

  useEffect(() => {
    const s = state.current;
    s.disposed = false;
    const periodic = everyMs ? setInterval(() => schedule(0), everyMs) : undefined;
    return () => {
      s.disposed = true;
      clearInterval(periodic);
      clearTimeout(s.timer);
      s.timer = undefined;
    };
  }, [everyMs, schedule]);

  return trigger;
}

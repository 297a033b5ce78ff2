import { Alert, Box, Card, CardContent, Chip, LinearProgress, Stack, Typography } from '@mui/material';
import { useState } from 'react';
import { useEventStream } from './sse';
import { ConnectionChip, formatTime, StreamErrorAlert } from './ui';

/** `ReplayTaskOut` (apps/api/src/routes/replays/schemas.ts), the data of each `event: progress`. */
export interface ReplayTask {
  id: string;
  appId: string;
  endpointId: string | null;
  kind: 'dead_letters' | 'replay_missing';
  status: 'running' | 'finished' | 'failed' | 'canceled';
  /** Items counted when the task started. */
  total: number;
  /** Items processed so far. */
  done: number;
  /** Items that could not be requeued, if the API reports them. */
  failed?: number;
  createdAt: string;
  updatedAt: string;
}

/** A replay's state in words, the same on the list and on the replay's page. */
export const REPLAY_STATE_TEXT: Record<ReplayTask['status'], string> = {
  running: 'Running',
  finished: 'Completed',
  failed: 'Failed',
  canceled: 'Cancelled',
};
const STATE_TEXT = REPLAY_STATE_TEXT;

/** How far a replay got, in percent of the items counted at its start (100 when it ended with nothing to do). */
export function replayPercent(task: Pick<ReplayTask, 'status' | 'done' | 'total'>): number {
  if (task.total > 0) return Math.min(100, Math.floor((task.done / task.total) * 100));
  return task.status === 'running' ? 0 : 100;
}
const STATE_COLOR = { running: 'info', finished: 'success', failed: 'error', canceled: 'default' } as const;

function parseTask(data: string): ReplayTask | undefined {
  try {
    const value = JSON.parse(data) as Partial<ReplayTask> | null;
    if (!value || typeof value.status !== 'string' || typeof value.done !== 'number' || typeof value.total !== 'number') return undefined;
    return value as ReplayTask;
  } catch {
    return undefined;
  }
}

/**
 * A bulk replay's progress from `GET /app/{app_id}/replay/{task_id}/stream`:
 * one `progress` event per change; the stream is closed here as soon as the
 * task is over (the server ends it too), and reconnected if it drops while
 * the task runs (the server then sends the current state first).
 */
export function ReplayProgress(props: { appId: string; taskId: string; onTask?: (task: ReplayTask) => void }) {
  return <TaskProgress key={`${props.appId}\n${props.taskId}`} {...props} />;
}

function TaskProgress({ appId, taskId, onTask }: { appId: string; taskId: string; onTask?: (task: ReplayTask) => void }) {
  const [task, setTask] = useState<ReplayTask | null>(null);
  const over = task !== null && task.status !== 'running';
  const stream = useEventStream(`/app/${encodeURIComponent(appId)}/replay/${encodeURIComponent(taskId)}/stream`, {
    enabled: !over,
    // The server writes only on change, with no heartbeat: a quiet stream is not a dead one.
    idleTimeoutMs: 0,
    onEvent: (event) => {
      if (event.event !== 'progress') return;
      const next = parseTask(event.data);
      if (!next) return;
      setTask(next);
      onTask?.(next);
      if (next.status !== 'running') stream.close();
    },
  });

  const status = task?.status;
  const total = task?.total ?? 0;
  const done = task?.done ?? 0;
  const remaining = Math.max(0, total - done);
  const percent = task ? replayPercent(task) : 0;
  const indeterminate = !task || (status === 'running' && total === 0);
  const barColor = status === 'failed' ? 'error' : status === 'canceled' ? 'inherit' : status === 'finished' ? 'success' : 'primary';
  const stateText = task ? STATE_TEXT[task.status] : stream.state === 'error' ? 'Unavailable' : 'Connecting…';

  return (
    <Card
      variant="outlined"
      data-testid="replay-progress"
      data-task-id={taskId}
      data-state={status ?? 'unknown'}
      data-done={done}
      data-total={total}
      aria-label={`Replay ${taskId}: ${stateText}, ${done} of ${total}`}
    >
      <CardContent>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1, flexWrap: 'wrap' }}>
          <Typography variant="subtitle1" component="h2" sx={{ flex: 1 }}>
            Replay {task?.kind === 'replay_missing' ? 'of missing messages' : 'of dead letters'}
          </Typography>
          <Chip
            size="small"
            color={status ? STATE_COLOR[status] : 'default'}
            label={stateText}
            data-testid="replay-state"
            role="status"
            aria-live="polite"
          />
          {!over ? <ConnectionChip status={stream} testId="replay-connection" label="Replay progress" /> : null}
        </Stack>
        <StreamErrorAlert status={stream} what="Replay progress" />
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
          <Box sx={{ flex: 1 }}>
            <LinearProgress
              variant={indeterminate ? 'indeterminate' : 'determinate'}
              value={percent}
              color={barColor}
              aria-label="Replay progress"
              data-testid="replay-progress-bar"
              sx={{ height: 8, borderRadius: 4 }}
            />
          </Box>
          <Typography variant="body2" sx={{ minWidth: 48, textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>
            {task ? `${percent} %` : '—'}
          </Typography>
        </Box>
        <Box
          component="dl"
          sx={{
            display: 'grid',
            gridTemplateColumns: 'repeat(auto-fit, minmax(110px, 1fr))',
            gap: 1,
            mt: 1.5,
            mb: 0,
            '& dt': { typography: 'caption', color: 'text.secondary' },
            '& dd': { m: 0, typography: 'body1', fontVariantNumeric: 'tabular-nums' },
          }}
        >
          <Count label="Total" value={task ? total : null} testId="replay-total" />
          <Count label="Replayed" value={task ? done : null} testId="replay-done" />
          {typeof task?.failed === 'number' ? <Count label="Failed" value={task.failed} testId="replay-failed" /> : null}
          <Count label="Remaining" value={task ? (status === 'running' ? remaining : 0) : null} testId="replay-remaining" />
        </Box>
        {task && status !== 'running' && remaining > 0 ? (
          <Alert severity={status === 'finished' ? 'info' : 'warning'} sx={{ mt: 1 }}>
            {status === 'finished'
              ? `${remaining} of the ${total} items counted at the start no longer needed replaying when the task reached them.`
              : `Stopped with ${remaining} of ${total} items not replayed.`}
          </Alert>
        ) : null}
        {task ? (
          <Typography variant="caption" color="text.secondary" component="p" sx={{ mt: 1 }}>
            Started {formatTime(task.createdAt)} · last update {formatTime(task.updatedAt)}
          </Typography>
        ) : null}
      </CardContent>
    </Card>
  );
}

function Count({ label, value, testId }: { label: string; value: number | null; testId: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value === null ? '—' : value.toLocaleString()}</dd>
    </div>
  );
}

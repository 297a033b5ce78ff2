import StopIcon from '@mui/icons-material/StopCircleOutlined';
import { Box, Chip, type ChipProps, LinearProgress, Typography } from '@mui/material';
import { useState } from 'react';
import { Button, Confirm, Datagrid, FunctionField, List, Show, TopToolbar, useNotify, useRecordContext, useRefresh } from 'react-admin';
import { api } from '../api';
import { CursorPagination } from '../components/CursorPagination';
import { IdField, Mono, Time, TimeField } from '../components/fields';
import { Facts, PageSection } from '../components/PageSection';
import { EmptyState, errorMessage, ListLoadError, quietLoadError, ShowLoadError } from '../components/states';
import type { ReplayTask } from '../data/types';
import { NeedsApp } from '../layout/NeedsApp';
import { REPLAY_STATE_TEXT, ReplayProgress, replayPercent } from '../live';
import { describeReplayFilter } from './deadLetters';

const STATUS_COLOR: Record<ReplayTask['status'], ChipProps['color']> = {
  running: 'info',
  finished: 'success',
  failed: 'error',
  canceled: 'default',
};

export const ReplayStatusChip = ({ status }: { status: ReplayTask['status'] }) => (
  <Chip
    size="small"
    label={REPLAY_STATE_TEXT[status] ?? status}
    color={STATUS_COLOR[status] ?? 'default'}
    data-testid="replay-status"
    data-state={status}
  />
);

const KIND_LABEL: Record<ReplayTask['kind'], string> = { dead_letters: 'Dead letters', replay_missing: 'Missing messages' };

/** The same figures as the replay's page: percent, then "done of total". */
const ProgressCell = ({ task }: { task: ReplayTask }) => {
  const percent = replayPercent(task);
  return (
    <Box sx={{ minWidth: 140 }} data-testid="replay-list-progress" data-done={task.done} data-total={task.total}>
      <LinearProgress variant="determinate" value={percent} aria-label={`${task.done} of ${task.total}`} />
      <Typography variant="caption" color="text.secondary">
        {percent} % · {task.done} of {task.total}
      </Typography>
    </Box>
  );
};

export const ReplayList = () => (
  <NeedsApp title="Replays">
    {(appId) => (
      <List
        pagination={<CursorPagination />}
        title="Replays"
        filter={{ appId }}
        queryOptions={{ meta: { appId }, refetchInterval: 5000 }}
        perPage={25}
        empty={
          <EmptyState
            title="No replays yet"
            hint='Bulk replays of dead letters appear here. Start one from "Dead letters" with "Replay all matching".'
          />
        }
        error={<ListLoadError />}
        actions={false}
      >
        <Datagrid rowClick="show" bulkActionButtons={false}>
          <FunctionField label="Status" render={(record: ReplayTask) => <ReplayStatusChip status={record.status} />} />
          <FunctionField label="Kind" render={(record: ReplayTask) => KIND_LABEL[record.kind] ?? record.kind} />
          <FunctionField label="Progress" render={(record: ReplayTask) => <ProgressCell task={record} />} />
          <FunctionField label="Matching" render={(record: ReplayTask) => describeReplayFilter(record.filter)} />
          <IdField source="id" label="Id" sortable={false} />
          <TimeField source="createdAt" label="Started" sortable={false} />
        </Datagrid>
      </List>
    )}
  </NeedsApp>
);

/** "Cancel replay": stops the job before its next batch (what is queued is still sent). */
const CancelReplayButton = () => {
  const record = useRecordContext<ReplayTask>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  if (record?.status !== 'running') return null;
  const cancel = async () => {
    setBusy(true);
    try {
      await api(`/app/${encodeURIComponent(record.appId)}/replay/${encodeURIComponent(record.id)}/cancel`, { method: 'POST' });
      notify('Replay canceled: no further batches will be queued', { type: 'success' });
      refresh();
    } catch (error) {
      notify(errorMessage(error), { type: 'error' });
      refresh();
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  return (
    <>
      <Button label="Cancel replay" onClick={() => setConfirming(true)} disabled={busy} color="error">
        <StopIcon />
      </Button>
      <Confirm
        isOpen={confirming}
        loading={busy}
        title="Cancel this replay?"
        content="The job stops before its next batch. Deliveries already queued are still sent."
        confirm="Yes, cancel it"
        cancel="Keep running"
        onConfirm={cancel}
        onClose={() => setConfirming(false)}
      />
    </>
  );
};

/**
 * The job's figures come from its progress stream once it has spoken, and
 * from the loaded record before: the progress bar and "Processed" read the
 * same snapshot, so they cannot disagree while the record is refetched. When
 * the job ends, cached lists are refreshed so the replay list agrees too.
 */
const ReplayDetails = () => {
  const record = useRecordContext<ReplayTask>();
  const refresh = useRefresh();
  const [live, setLive] = useState<Pick<ReplayTask, 'status' | 'done' | 'total' | 'updatedAt'> | null>(null);
  if (!record) return null;
  const current = live ?? record;
  const onTask = (task: Pick<ReplayTask, 'status' | 'done' | 'total' | 'updatedAt'>) => {
    setLive({ status: task.status, done: task.done, total: task.total, updatedAt: task.updatedAt });
    if (task.status !== 'running' && record.status === 'running') refresh();
  };
  return (
    <Box>
      <PageSection title="Progress">
        <ReplayProgress appId={record.appId} taskId={record.id} onTask={onTask} />
      </PageSection>
      <PageSection title="Replay job">
        <Facts
          items={[
            ['Id', <Mono key="id">{record.id}</Mono>],
            ['Status', <ReplayStatusChip key="s" status={current.status} />],
            ['Kind', KIND_LABEL[record.kind] ?? record.kind],
            ['Matching', describeReplayFilter(record.filter)],
            ['Processed', <span key="p" data-testid="replay-processed">{`${current.done} of ${current.total}`}</span>],
            ['Started', <Time key="c" value={record.createdAt} />],
            ['Last update', <Time key="u" value={current.updatedAt} />],
          ]}
        />
      </PageSection>
    </Box>
  );
};

export const ReplayShow = () => (
  <NeedsApp title="Replays">
    {(appId) => (
      <Show
        component="div"
        queryOptions={{
          meta: { appId },
          onError: quietLoadError,
          refetchInterval: (query) => (query.state.data?.status === 'running' ? 2000 : false),
        }}
        actions={
          <TopToolbar>
            <CancelReplayButton />
          </TopToolbar>
        }
        error={<ShowLoadError />}
        title="Replay job"
      >
        <ReplayDetails />
      </Show>
    )}
  </NeedsApp>
);

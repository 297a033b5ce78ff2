export { fanOutMessage, fanOutMessages } from './fanout';
export { type RunningWorker, startWorker, type WorkerDeps } from './worker';

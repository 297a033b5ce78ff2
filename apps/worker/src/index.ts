export { BREAKER_POLICY, type BreakerPolicy } from './engine/breaker';
export { fanOutMessage, fanOutMessages } from './fanout';
export { type RunningWorker, startWorker, type WorkerDeps } from './worker';

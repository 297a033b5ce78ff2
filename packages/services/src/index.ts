export {
  createDispatcher,
  type DispatchableMessage,
  type Dispatcher,
  dispatchMessages,
  sweepCircuits,
  sweepOverdueDeliveries,
  sweepUndispatched,
} from './dispatch';

export {
  createDispatcher,
  type DispatchableMessage,
  type Dispatcher,
  dispatchMessages,
  sweepOverdueDeliveries,
  sweepUndispatched,
} from './dispatch';

export { createDispatcher, type DispatchableMessage, type Dispatcher, dispatchMessages, sweepUndispatched } from './dispatch';

export { onShutdownSignal, runMain } from './process';
export { openServices, type Services } from './services';

export {
  circuitTransitions,
  deliveriesTotal,
  deliveryDuration,
  METRICS_CONTENT_TYPE,
  messagesIngested,
  metricsRegistry,
  observeDelivery,
  queueDepthGauge,
  renderMetrics,
} from './metrics';
export { onShutdownSignal, runMain } from './process';
export { openServices, type Services } from './services';

export {
  circuitTransitions,
  deliveriesTotal,
  deliveryDuration,
  METRICS_CONTENT_TYPE,
  messagesIngested,
  metricsRegistry,
  observeDelivery,
  QUEUE_DEPTH_REFRESH_MS,
  queueDepthGauge,
  queueDepthRefreshed,
  renderMetrics,
} from './metrics';
export { type MetricsServer, startMetricsServer } from './metrics-server';
export { onShutdownSignal, runMain, type ShutdownOptions } from './process';
export { openServices, type Services } from './services';

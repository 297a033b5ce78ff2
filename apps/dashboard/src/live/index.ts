/** The live parts of the dashboard (issue 7): feed, endpoint health, charts, replay progress. */
export { EndpointChart } from './EndpointChart';
export { EndpointHealthTiles } from './EndpointHealthTiles';
export { LiveFeedPage } from './LiveFeedPage';
export { REPLAY_STATE_TEXT, ReplayProgress, replayPercent } from './ReplayProgress';

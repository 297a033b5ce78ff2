export { createApp } from './app';
export type { ApiDeps, Principal } from './context';
export { type RunningApi, startApiServer } from './server';

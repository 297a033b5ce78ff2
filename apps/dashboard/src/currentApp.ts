import { useSyncExternalStore } from 'react';
import { CURRENT_APP_STORAGE_KEY } from './api';

/**
 * The application the per-app pages (endpoints, messages, dead letters, replays)
 * work on. Kept in localStorage so a reload or a new tab opens on the same one;
 * in portal mode it is fixed to the portal token's application.
 */
const STORAGE_KEY = CURRENT_APP_STORAGE_KEY;

let fixedAppId: string | null = null;
const listeners = new Set<() => void>();

function read(): string | null {
  return fixedAppId ?? localStorage.getItem(STORAGE_KEY);
}

let snapshot = read();

function emit() {
  snapshot = read();
  for (const listener of listeners) listener();
}

export const currentApp = {
  get: (): string | null => snapshot,
  set(appId: string | null) {
    if (fixedAppId) return;
    if (appId === snapshot) return;
    if (appId) localStorage.setItem(STORAGE_KEY, appId);
    else localStorage.removeItem(STORAGE_KEY);
    emit();
  },
  /** Portal mode: one application, not switchable. */
  fix(appId: string) {
    fixedAppId = appId;
    emit();
  },
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab switching application should not switch this one mid-task, so no storage listener.

export function useCurrentAppId(): string | null {
  return useSyncExternalStore(currentApp.subscribe, currentApp.get);
}

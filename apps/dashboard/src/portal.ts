import { portalToken } from './api';

/**
 * `#/portal?token=…` (the URL `POST /auth/app-portal-access/{app_id}` returns):
 * keep the app-scoped token for this tab and take it out of the address bar
 * and history. Returns true when a token was captured.
 */
export function capturePortalToken(): boolean {
  const hash = window.location.hash;
  if (!hash.startsWith('#/portal')) return false;
  const query = hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : '';
  const token = new URLSearchParams(query).get('token');
  if (!token) return false;
  portalToken.set(token);
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/`);
  return true;
}

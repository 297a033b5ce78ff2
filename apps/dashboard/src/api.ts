/**
 * The one place the dashboard talks to Herald's API. Two credentials exist:
 * - the operator session (`hsess_…`), kept in localStorage so it survives reloads
 *   and new tabs until it expires;
 * - the app-portal token (an app-scoped API key from `#/portal?token=…`), kept in
 *   sessionStorage so it stays in the tab it was opened in. While present it wins
 *   over the operator session: that tab is a subscriber's portal.
 */
const SESSION_STORAGE_KEY = 'herald.session';
const PORTAL_STORAGE_KEY = 'herald.portalToken';
const LOGIN_MESSAGE_KEY = 'herald.loginMessage';
const LOGIN_PATH = '/auth/login';
/** The application picked in the app bar (see currentApp.ts); forgotten with the session. */
export const CURRENT_APP_STORAGE_KEY = 'herald.currentApp';

export interface Operator {
  id: string;
  email: string;
  role: 'admin' | 'member';
  orgId: string;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface StoredSession {
  token: string;
  expiresAt: string | null;
  operator: Operator | null;
}

export const session = {
  get(): StoredSession | null {
    const raw = localStorage.getItem(SESSION_STORAGE_KEY);
    if (!raw) return null;
    try {
      const parsed = JSON.parse(raw) as StoredSession;
      return typeof parsed.token === 'string' ? parsed : null;
    } catch {
      return null;
    }
  },
  set(value: StoredSession) {
    localStorage.setItem(SESSION_STORAGE_KEY, JSON.stringify(value));
  },
  clear() {
    localStorage.removeItem(SESSION_STORAGE_KEY);
  },
};

export const portalToken = {
  get: () => sessionStorage.getItem(PORTAL_STORAGE_KEY),
  set: (token: string) => sessionStorage.setItem(PORTAL_STORAGE_KEY, token),
  clear: () => sessionStorage.removeItem(PORTAL_STORAGE_KEY),
};

/** True while this tab is an app portal (a subscriber's reduced view of one application). */
export const isPortalMode = () => portalToken.get() !== null;

/** A message for the login page to show once (e.g. "session expired, sign in again"). */
export const loginMessage = {
  peek: () => sessionStorage.getItem(LOGIN_MESSAGE_KEY),
  clear: () => sessionStorage.removeItem(LOGIN_MESSAGE_KEY),
  set: (message: string) => sessionStorage.setItem(LOGIN_MESSAGE_KEY, message),
};

/** The Authorization header of the credential in use: portal token first, then the operator session. */
export function authHeader(): Record<string, string> {
  const token = portalToken.get() ?? session.get()?.token;
  return token ? { authorization: `Bearer ${token}` } : {};
}

/**
 * The credential in use was refused: forget it and send the user to the login
 * page, which shows `detail`. A refused portal token cannot be renewed from here,
 * so the portal shows the message on its own page instead.
 */
export function onUnauthorized(detail?: string) {
  const message = detail || 'Your session ended, sign in again';
  if (isPortalMode()) {
    // The portal layout was chosen at start: leave it by starting over.
    portalToken.clear();
    loginMessage.set(`This portal link is no longer valid: ${message}`);
    restartAtLogin();
    return;
  }
  // The first refusal says why. A later one was sent without a credential, or
  // after another tab had already signed out: it says nothing worth showing.
  if (session.get() !== null) loginMessage.set(message);
  else if (!loginMessage.peek()) loginMessage.set('Your session ended, sign in again');
  session.clear();
  localStorage.removeItem(CURRENT_APP_STORAGE_KEY);
  if (window.location.hash.startsWith('#/login')) return;
  // Start over from the login page: nothing cached for this operator (lists,
  // the current application) may show to whoever signs in next in this tab.
  restartAtLogin();
}

/**
 * Reloads the app on `#/login`. The address changes without a hashchange
 * event: the router must not show the login page (and consume its one-time
 * message) before the reload replaces it.
 */
function restartAtLogin() {
  window.history.replaceState(null, '', '#/login');
  window.location.reload();
}

/** One failing field of a 422: `path` is dotted, e.g. `body.url` or `query.limit`. */
export interface FieldError {
  path?: string;
  message?: string;
}

export interface ApiErrorBody {
  code?: string;
  detail?: string;
  requestId?: string;
  errors?: FieldError[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
    readonly retryAfter: string | null = null,
  ) {
    super(describeApiError(status, body));
    this.name = 'ApiError';
  }

  get code() {
    return this.body.code;
  }
}

function describeApiError(status: number, body: ApiErrorBody): string {
  const detail = body.detail ?? (status === 0 ? 'Herald did not answer' : `request failed with status ${status}`);
  const fields = (body.errors ?? []).map((error) => [error.path, error.message].filter(Boolean).join(': ')).filter(Boolean);
  return fields.length > 0 && !fields.every((text) => detail.includes(text)) ? `${detail} (${fields.join('; ')})` : detail;
}

/**
 * JSON request to `/api/v1${path}` with the current credential. Throws ApiError
 * carrying the API's `detail` (network failures become status 0).
 */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeader() };
  if (init.body !== undefined && init.body !== null) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
  } catch {
    throw new ApiError(0, { code: 'network_error', detail: 'Herald did not answer; check that the server is running' });
  }
  const text = response.status === 204 ? '' : await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const errorBody = (body && typeof body === 'object' ? body : { detail: text.slice(0, 200) || undefined }) as ApiErrorBody;
    // A refused credential ends the session whichever code made the call (a
    // sign-in's own 401 is a wrong password, shown on the login page).
    if (response.status === 401 && path !== LOGIN_PATH && headers.authorization) onUnauthorized(errorBody.detail);
    throw new ApiError(response.status, errorBody, response.headers.get('retry-after'));
  }
  return body as T;
}

import type { AuthProvider } from 'react-admin';
import { ApiError, api, CURRENT_APP_STORAGE_KEY, isPortalMode, loginMessage, onUnauthorized, portalToken, session } from '../api';
import type { LoginOut, Whoami } from '../data/types';

/** The current principal, asked once per credential (whoami is cheap, but the app bar asks often). */
let whoamiCache: { token: string; value: Promise<Whoami> } | null = null;

export function whoami(): Promise<Whoami> {
  const token = portalToken.get() ?? session.get()?.token ?? '';
  if (whoamiCache?.token !== token) {
    const value = api<Whoami>('/auth/whoami');
    whoamiCache = { token, value };
    value.catch(() => {
      if (whoamiCache?.value === value) whoamiCache = null;
    });
  }
  return whoamiCache.value;
}

const SESSION_EXPIRED = 'session expired, sign in again';

function sessionExpiredLocally(): boolean {
  const expiresAt = session.get()?.expiresAt;
  return !!expiresAt && Date.parse(expiresAt) <= Date.now();
}

/** Rejections carry `message: false`: the login page shows the reason itself, so no extra toast. */
const toLogin = (message?: string) => {
  if (message) loginMessage.set(message);
  return Promise.reject({ message: false, redirectTo: '/login' });
};

export const authProvider: AuthProvider = {
  async login({ email, password }: { email: string; password: string }) {
    portalToken.clear();
    try {
      const result = await api<LoginOut>('/auth/login', { method: 'POST', body: JSON.stringify({ email, password }) });
      session.set({ token: result.token, expiresAt: result.expiresAt, operator: result.operator });
      loginMessage.clear();
      whoamiCache = null;
    } catch (error) {
      if (error instanceof ApiError && error.status === 429 && error.retryAfter) {
        const seconds = Number(error.retryAfter);
        const wait = Number.isFinite(seconds) ? ` Try again in ${seconds} s.` : '';
        throw new Error(`${error.message}${error.message.endsWith('.') ? '' : '.'}${wait}`);
      }
      throw error instanceof Error ? error : new Error('Sign-in failed');
    }
  },

  async logout() {
    if (isPortalMode()) {
      portalToken.clear();
    } else if (session.get()) {
      // Best effort: an expired session is already gone server-side.
      await api('/auth/logout', { method: 'POST' }).catch(() => undefined);
      session.clear();
      localStorage.removeItem(CURRENT_APP_STORAGE_KEY);
    }
    whoamiCache = null;
    return '/login';
  },

  async checkAuth() {
    if (isPortalMode()) return;
    if (!session.get()) return toLogin();
    if (sessionExpiredLocally()) {
      session.clear();
      return toLogin(SESSION_EXPIRED);
    }
  },

  async checkError(error: unknown) {
    const status = (error as { status?: number } | null)?.status;
    if (status !== 401) return;
    const detail = error instanceof ApiError ? error.message : SESSION_EXPIRED;
    if (isPortalMode()) {
      onUnauthorized(detail);
      return Promise.reject({ message: false });
    }
    // Several requests fail together when a session ends; those sent after the
    // first one cleared it say only "missing Authorization header". Keep the first reason.
    const hadSession = session.get() !== null;
    session.clear();
    whoamiCache = null;
    return toLogin(hadSession ? detail : undefined);
  },

  async getIdentity() {
    if (isPortalMode()) {
      const me = await whoami();
      return { id: me.appId ?? 'portal', fullName: 'Application portal' };
    }
    const stored = session.get();
    if (stored?.operator) return { id: stored.operator.id, fullName: stored.operator.email };
    const me = await whoami();
    return { id: me.operator?.id ?? 'api-key', fullName: me.operator?.email ?? 'API key' };
  },

  async getPermissions() {
    if (isPortalMode()) return 'portal';
    const stored = session.get();
    if (stored?.operator) return stored.operator.role;
    const me = await whoami().catch(() => null);
    return me?.operator?.role ?? (me?.kind === 'api_key' ? 'admin' : 'member');
  },
};

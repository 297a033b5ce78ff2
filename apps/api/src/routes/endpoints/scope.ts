import { notFound } from '@herald/core';
import type { EndpointScope } from '@herald/db';
import type { ApiDeps, Principal } from '../../context';
import { resolveApplication } from '../../tenancy';

/**
 * The application an endpoint route acts on, as this key may see it: another
 * organization's, or another application for an app-scoped key, is 404.
 */
export async function endpointScope(deps: ApiDeps, principal: Principal, appIdOrUid: string): Promise<EndpointScope> {
  const application = await resolveApplication(deps.db, principal, appIdOrUid);
  return { orgId: principal.orgId, appId: application.id };
}

export const endpointNotFound = () => notFound('endpoint');

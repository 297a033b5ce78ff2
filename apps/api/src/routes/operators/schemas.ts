import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, noNul } from '@herald/core';
import { z } from '@hono/zod-openapi';

/** Lower-cased and trimmed everywhere, so sign-in does not depend on how an email was typed. */
const Email = z.string().trim().toLowerCase().max(320).refine(noNul, 'must not contain NUL characters');

export const OperatorOutSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    role: z.enum(['admin', 'member']),
    orgId: z.string(),
    createdAt: z.string(),
    lastLoginAt: z.string().nullable(),
  })
  .openapi('OperatorOut');

export const OperatorInSchema = z
  .strictObject({
    email: Email.regex(z.regexes.email, 'must be an email address'),
    password: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH),
    role: z.enum(['admin', 'member']).default('member').openapi({ description: 'admin: may also manage operators and API keys' }),
  })
  .openapi('OperatorIn');

export const LoginInSchema = z
  .strictObject({
    // Not checked for shape: whatever was typed, a wrong email is "incorrect", like a wrong password.
    email: Email.min(1),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  })
  .openapi('LoginIn');

export const LoginOutSchema = z
  .object({
    token: z.string().openapi({ description: '`hsess_…`: send it as `Authorization: Bearer <token>`; shown once' }),
    expiresAt: z.string().openapi({ description: 'The session ends then, however active it is (HERALD_SESSION_TTL_S)' }),
    operator: OperatorOutSchema,
  })
  .openapi('LoginOut');

export const WhoamiOutSchema = z
  .object({
    kind: z.enum(['operator', 'api_key']),
    orgId: z.string(),
    scope: z.enum(['root', 'org', 'app']).openapi({ description: 'Operator sessions act with `org` scope' }),
    appId: z.string().nullable().openapi({ description: 'The one application an app-scoped key (app-portal token) may use' }),
    // A union, not .nullable(): on a named schema that renders as allOf [$ref, null-or-object], which null fails.
    operator: z.union([OperatorOutSchema, z.null()]).openapi({ description: 'The signed-in operator; null for an API key' }),
    expiresAt: z.string().nullable().openapi({ description: "When the session or key stops working; null for a key that doesn't expire" }),
  })
  .openapi('WhoamiOut');

export const OperatorIdParam = z.object({ operator_id: z.string().min(1).max(64) });

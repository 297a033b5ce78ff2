/**
 * Where a service URL points, without its credentials: what an operator needs
 * to see in "cannot reach" messages, and nothing they must not paste into a ticket.
 */
export function describeServiceUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** The reason a connection failed, with the error code when the message lacks it (AggregateError has none). */
export function describeConnectError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeConnectError(error.errors[0]);
  const code = error && typeof error === 'object' && 'code' in error ? String(error.code) : '';
  const message = error instanceof Error ? error.message : String(error);
  if (!message) return code || 'unknown error';
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

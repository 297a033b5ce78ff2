import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory Herald is installed in (the repository, or /app in the image):
 * the nearest ancestor of `moduleUrl` that holds the migrations journal. Found
 * by looking rather than by counting `..`, because the same module runs from
 * its TypeScript source (packages/db/src) and from a bundle (dist/server).
 */
export function installRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    if (existsSync(join(dir, 'drizzle', 'meta', '_journal.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no Herald installation (drizzle/meta/_journal.json) above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
}

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * Enough of a Dockerfile reader to check, without a Docker engine, what each
 * stage's filesystem holds: the build context (git's files minus .dockerignore)
 * and the COPY instructions, stage by stage. RUN steps are not executed here;
 * the test runs the ones whose output matters (turbo prune, the build) itself.
 */

export interface Instruction {
  keyword: string;
  /** The arguments with flags (--from=…, --mount=…) removed. */
  args: string[];
  flags: Record<string, string>;
  raw: string;
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  // Line continuations joined, comments and blank lines dropped.
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const asIndex = rest.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({ name: asIndex >= 0 ? rest[asIndex + 1]! : String(stages.length), from: rest[0]!, instructions: [] });
      continue;
    }
    if (upper === 'ARG' && stages.length === 0) continue;
    const stage = stages.at(-1);
    if (!stage) throw new Error(`instruction before FROM: ${line}`);
    const flags: Record<string, string> = {};
    const args: string[] = [];
    const body = line.slice(keyword.length).trim();
    if (body.startsWith('[')) args.push(...(JSON.parse(body) as string[]));
    else
      for (const word of rest) {
        const flag = /^--([a-z-]+)=(.*)$/.exec(word);
        if (flag && args.length === 0) flags[flag[1]!] = flag[2]!;
        else args.push(word);
      }
    stage.instructions.push({ keyword: upper, args, flags, raw: line });
  }
  return stages;
}

/** .dockerignore's patterns as a matcher (Go filepath.Match plus `**`, `!` exceptions, last match wins). */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = posix.normalize((negate ? line.slice(1) : line).replace(/^\/+/, ''));
      const source = pattern
        .split('/')
        .map((part) =>
          part === '**'
            ? '(?:.*)'
            : part
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      // A pattern that names a directory excludes everything below it.
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (path) => {
    let ignored = false;
    for (const rule of rules) if (rule.regex.test(path)) ignored = !rule.negate;
    return ignored;
  };
}

/** The files `docker build .` sends on a fresh clone: what git tracks, minus .dockerignore. */
export function buildContext(root: string): string[] {
  const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((path) => path && existsSync(join(root, path)));
  const ignoreFile = join(root, '.dockerignore');
  const ignored = existsSync(ignoreFile) ? dockerignoreMatcher(readFileSync(ignoreFile, 'utf8')) : () => false;
  return tracked.filter((path) => !ignored(path));
}

/**
 * A stage's files after its COPY instructions (paths relative to WORKDIR /app).
 * `outputs` gives what a RUN-produced directory of another stage holds (e.g. /prune).
 */
export function stageFiles(
  stages: Stage[],
  name: string,
  context: string[],
  outputs: Record<string, string[]> = {},
  workdir = '/app',
): Set<string> {
  const stage = stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  const files = stages.some((s) => s.name === stage.from)
    ? new Set(stageFiles(stages, stage.from, context, outputs, workdir))
    : new Set<string>();
  for (const instruction of stage.instructions) {
    if (instruction.keyword !== 'COPY') continue;
    const destination = instruction.args.at(-1)!;
    const sources = instruction.args.slice(0, -1);
    const from = instruction.flags.from;
    for (const source of sources) {
      let available: string[];
      let base: string;
      if (from === undefined) {
        available = context;
        base = posix
          .normalize(source)
          .replace(/^\.\/?/, '')
          .replace(/\/$/, '');
      } else if (source.startsWith('/') && source !== workdir && !source.startsWith(`${workdir}/`)) {
        // A RUN output outside WORKDIR, e.g. /prune/json/: its listing is given by the caller.
        const key = posix.normalize(source).replace(/\/$/, '');
        const listed = Object.keys(outputs).find((prefix) => key === prefix || key.startsWith(`${prefix}/`));
        if (!listed) throw new Error(`unknown output ${source} of stage ${from}`);
        available = outputs[listed]!.map((path) => `${listed}/${path}`);
        base = key;
      } else {
        const inner = source === workdir ? '' : source.startsWith(`${workdir}/`) ? source.slice(workdir.length + 1) : source;
        available = [
          ...stageFiles(stages, from, context, outputs, workdir),
          ...(outputs[`${from}:${inner.replace(/\/$/, '')}`] ?? []).map((p) => `${inner.replace(/\/$/, '')}/${p}`),
        ];
        base = posix
          .normalize(inner)
          .replace(/^\.\/?/, '')
          .replace(/\/$/, '');
      }
      const matched = available.filter((path) => base === '' || path === base || path.startsWith(`${base}/`));
      if (matched.length === 0) throw new Error(`COPY source not found: ${instruction.raw}`);
      const target = posix
        .normalize(destination.startsWith(`${workdir}/`) ? destination.slice(workdir.length + 1) : destination)
        .replace(/^\.\/?/, '');
      for (const path of matched) {
        const rest = base === '' ? path : path === base ? posix.basename(path) : path.slice(base.length + 1);
        // "COPY file dir/" keeps the name; "COPY dir ./dir" copies the contents.
        const single = path === base;
        const into = single && !destination.endsWith('/') && sources.length === 1 ? target : posix.join(target, rest);
        files.add(posix.normalize(into).replace(/^\.\//, ''));
      }
    }
  }
  return files;
}

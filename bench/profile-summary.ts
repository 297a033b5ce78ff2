/**
 * `tsx bench/profile-summary.ts <file.cpuprofile> [top] [function]`: where a V8
 * CPU profile (what `node --cpu-prof` writes, e.g. `BENCH_CPU_PROF=/tmp/prof
 * npm run bench`) spent its time: self time by package/file and by function,
 * inclusive time by package, all as shares of the sampled time. With a
 * function name, also the call stacks its self time came from.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg, callersOf] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top] [function name: show its callers]');
  process.exit(1);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const selfUs = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}

const shortUrl = (url: string) => {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const src = /\/(apps|packages|bench|test)\//.exec(url);
  return src ? url.slice(src.index + 1) : url.replace(/^file:\/\//, '');
};
const packageOf = (url: string) => {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node: (core)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return shortUrl(url);
};

let total = 0;
let idle = 0;
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  total += us;
  const frame = byId.get(id)!.callFrame;
  if (frame.functionName === '(idle)') idle += us;
  const fn = `${frame.functionName || '(anonymous)'}  ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  const pkg = packageOf(frame.url);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  // Inclusive: the sample counts once for every package on its stack.
  const onStack = new Set<string>();
  for (let p: number | undefined = id; p !== undefined; p = parentOf.get(p)) {
    const url = byId.get(p)!.callFrame.url;
    if (url && !url.startsWith('node:')) onStack.add(packageOf(url));
  }
  for (const k of onStack) inclusive.set(k, (inclusive.get(k) ?? 0) + us);
}

const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${((idle / total) * 100).toFixed(1)}% idle`);
print('self time by package / file', byPackage);
print('self time by function', byFunction);
print('inclusive time by package / file (a sample counts once for every package on its stack)', inclusive);

if (callersOf) {
  // The self time of `callersOf`, by the stack (up to 8 frames) it was called from.
  const stacks = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName !== callersOf) continue;
    const frames: string[] = [];
    for (let p = parentOf.get(id); p !== undefined && frames.length < 8; p = parentOf.get(p)) {
      const f = byId.get(p)!.callFrame;
      if (f.functionName === '(root)') break;
      frames.push(`${f.functionName || '(anonymous)'}@${shortUrl(f.url).split('/').at(-1)}:${f.lineNumber + 1}`);
    }
    const key = frames.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + us);
  }
  print(`callers of ${callersOf}`, stacks);
}

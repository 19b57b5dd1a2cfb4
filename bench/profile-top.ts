/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`): self time per function, summed over
 * all nodes and files, largest first. Usage:
 *
 *   node dist/bench/profile-top.js [--top N] [--by-file] FILE.cpuprofile...
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time in microseconds per "function file:line" (or per package/file with `byFile`, which
 * shows what a dependency such as log4js costs in all), from the sample deltas.
 */
export function selfTimes(profile: Profile, byFile = false): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${basename(url)}:${lineNumber + 1}` : '';
    const key = byFile ? fileKey(url, functionName) : `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return out;
}

/** node_modules/<package>, a project file, node:internals, or the V8 pseudo-frame itself. */
function fileKey(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `node_modules/${pkg[1]}`;
  if (url.startsWith('node:')) return '(node internals)';
  const project = /\/dist\/(.*)$/.exec(url);
  return project ? project[1]! : url;
}

function main(argv: string[]): void {
  let top = 25;
  let byFile = false;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') top = Number(argv[++i]);
    else if (argv[i] === '--by-file') byFile = true;
    else files.push(argv[i]!);
  }
  const total = new Map<string, number>();
  for (const file of files) {
    for (const [k, v] of selfTimes(JSON.parse(readFileSync(file, 'utf8')) as Profile, byFile)) total.set(k, (total.get(k) ?? 0) + v);
  }
  const all = [...total.values()].reduce((a, b) => a + b, 0);
  const busy = [...total].filter(([k]) => k !== '(idle) ' && !k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
  process.stdout.write(`total ${(all / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s not idle\n`);
  for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${(v / 1e3).toFixed(0).padStart(8)} ms ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}\n`);
  }
}

main(process.argv.slice(2));

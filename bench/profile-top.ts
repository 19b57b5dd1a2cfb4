/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`): self time per function, summed over
 * all nodes and files, largest first. Usage:
 *
 *   node dist/bench/profile-top.js [--top N] [--by-file] FILE.cpuprofile...
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hideBin } from 'yargs/helpers';
import { commandLine } from '../common/cli.js';

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
  const a = commandLine(argv, 'node dist/bench/profile-top.js', '$0 [options] FILE.cpuprofile...\n\nSelf time per function (or per file) summed over the profiles, largest first.')
    .option('top', { type: 'number', default: 25, describe: 'How many lines to print' })
    .option('by-file', { type: 'boolean', default: false, describe: 'Sum per file or package instead of per function' })
    .demandCommand(1, 'name at least one .cpuprofile file')
    .parseSync();
  const total = new Map<string, number>();
  for (const file of a._.map(String)) {
    let profile: Profile;
    try {
      profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    } catch (e) {
      throw new Error(`cannot read ${file}: ${(e as Error).message}`);
    }
    for (const [k, v] of selfTimes(profile, a.byFile)) total.set(k, (total.get(k) ?? 0) + v);
  }
  const all = [...total.values()].reduce((x, y) => x + y, 0);
  const busy = [...total].filter(([k]) => !k.startsWith('(idle)')).reduce((x, [, v]) => x + v, 0);
  const lines = [`total ${(all / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s not idle`];
  for (const [k, v] of [...total].sort((x, y) => y[1] - x[1]).slice(0, a.top)) {
    lines.push(`${(v / 1e3).toFixed(0).padStart(8)} ms ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Piped into head: the reader has gone, which is not an error.
  process.stdout.on('error', () => process.exit(0));
  try {
    main(hideBin(process.argv));
  } catch (e) {
    process.stderr.write(`profile-top: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

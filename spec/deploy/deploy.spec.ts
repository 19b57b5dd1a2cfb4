/**
 * The deployment recipes in deploy/: the systemd unit passes `systemd-analyze verify` (where that
 * command exists), and every option the recipes set (the config file, TINYCHAT_* variables in the
 * Dockerfile and the compose file) is one the built server accepts with those values. Docker
 * itself is not on this machine: the images are not built here.
 */
import { expect } from 'chai';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_ENV, NODE_FLAGS } from '../../server/runtime.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));
const deploy = (f: string) => readFileSync(join(ROOT, 'deploy', f), 'utf8');

/** The built server with these variables and arguments, asked only to print its configuration. */
function printConfig(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TINYCHAT_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, '--print-config', ...args], { env: { ...inherited, ...env } }, (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

/** The TINYCHAT_* settings of a Dockerfile's ENV lines or a compose file's environment maps. */
function variables(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  const code = text.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
  for (const m of code.matchAll(/(TINYCHAT_[A-Z_]+)(?:=|:\s*)("[^"]*"|\S+)/g)) vars[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  return vars;
}

describe('deployment recipes', function () {
  this.timeout(20_000);

  it('the systemd unit passes systemd-analyze verify', async function () {
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) this.skip();
    // Verified as installed here: the node binary and the built server of this checkout.
    const dir = mkdtempSync(join(tmpdir(), 'chat-unit-'));
    try {
      const unit = deploy('tinychat.service').replace(/^ExecStart=\S+ ((?:--\S+ )*)\S+/m, `ExecStart=${process.execPath} $1${MAIN}`);
      expect(unit).to.include(`ExecStart=${[process.execPath, ...NODE_FLAGS, MAIN].join(' ')} --config /etc/tinychat/tinychat.json`);
      const file = join(dir, 'tinychat.service');
      writeFileSync(file, unit);
      const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      // An unknown or misspelled setting is only a warning: any line about the unit fails the test.
      const about = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('tinychat.service'));
      expect(about, about.join('\n')).to.deep.equal([]);
      expect(r.status, r.stderr).to.equal(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the unit has the hardening an operator expects', () => {
    const unit = deploy('tinychat.service');
    for (const line of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'Restart=on-failure', 'User=tinychat', 'KillSignal=SIGTERM']) {
      expect(unit).to.match(new RegExp(`^${line}$`, 'm'));
    }
    expect(unit).to.match(/^LimitNOFILE=\d+$/m);
  });

  it('the sample config file is one the server accepts', async () => {
    const file = join(ROOT, 'deploy', 'tinychat.json');
    const r = await printConfig({}, '--config', file);
    expect(r.err).to.equal('');
    expect(r.code).to.equal(0);
    expect(JSON.parse(r.out)).to.deep.include(JSON.parse(deploy('tinychat.json')));
  });

  it('the variables of the Dockerfile and of each compose service are options the server accepts', async () => {
    const image = variables(deploy('Dockerfile'));
    expect(Object.keys(image)).to.include.members(['TINYCHAT_HOST', 'TINYCHAT_DB', 'TINYCHAT_METRICS_PORT']);
    const r = await printConfig(image);
    expect(r.err).to.equal('');
    expect(JSON.parse(r.out)).to.deep.include({ host: '0.0.0.0', db: '/data/users.json', log: '', 'metrics-port': 9464 });
    const compose = deploy('compose.yaml');
    const services = compose.slice(0, compose.indexOf('\nvolumes:')).split(/^ {2}chat\d:$/m).slice(1);
    expect(services).to.have.length(3);
    for (const service of services) {
      const own = variables(service);
      const port = own.TINYCHAT_PORT!;
      // Each server's port is the same number inside and out (the UDP port it announces).
      expect(service).to.include(`"${port}:${port}/tcp", "${port}:${port}/udp"`);
      const printed = await printConfig({ ...image, ...own });
      expect(printed.code).to.equal(0);
      // One cluster: every server on the compose file's Redis, each under its own name.
      expect(JSON.parse(printed.out)).to.deep.include({ redis: 'redis://redis:6379', 'node-id': own.TINYCHAT_NODE_ID });
    }
  });

  it('the unit and the image start node as npm start and the bench do (server/runtime.ts)', () => {
    const unit = deploy('tinychat.service');
    const image = deploy('Dockerfile');
    const lines = (text: string) => text.split('\n');
    expect(lines(unit)).to.include(`ExecStart=${['/usr/bin/node', ...NODE_FLAGS, '/opt/tinychat/dist/server/main.js'].join(' ')} --config /etc/tinychat/tinychat.json`);
    expect(lines(image)).to.include(`CMD ${JSON.stringify(['node', ...NODE_FLAGS, 'dist/server/main.js']).replaceAll(',', ', ')}`);
    for (const [name, value] of Object.entries(SERVER_ENV)) {
      expect(lines(unit)).to.include(`Environment=${name}=${value}`);
      expect(lines(image)).to.include(`ENV ${name}=${value}`);
    }
  });

  it('the image: two stages on the official Node 20 slim image, not root, a health check on /healthz, data on a volume', () => {
    const file = deploy('Dockerfile');
    expect(file.match(/^FROM node:20-slim\b/gm)).to.have.length(2);
    expect(file).to.match(/^USER node$/m);
    expect(file).to.match(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(file).to.match(/^VOLUME \["\/data"\]$/m);
    expect(file).to.match(/^COPY --from=build /m);
  });
});

/**
 * The server's own output (server/process-output.ts): console text and log lines of one turn
 * leave together, in the order they were made; through one stream when stdout and stderr are one
 * place; and on a terminal the prompt is erased before and drawn again after every batch.
 */
import { expect } from 'chai';
import type { Sink } from '../../server/log-sinks.js';
import { ProcessOutput } from '../../server/process-output.js';

function recorder(): Sink & { writes: string[]; ended: boolean } {
  const r = {
    writes: [] as string[],
    ended: false,
    write: (t: string) => void r.writes.push(t),
    end: (done: () => void) => {
      r.ended = true;
      done();
    },
  };
  return r;
}
const turn = () => new Promise((r) => setImmediate(r));

describe('process output', () => {
  it('writes a turn of log lines and console lines as one batch, in order, when stdout and stderr are one place', async () => {
    const both = recorder();
    const out = new ProcessOutput(both, null);
    out.log('13:00:00 INFO User bob successfully registered\n');
    out.log('13:00:00 INFO User bob logged in from 127.0.0.1:5000\n');
    out.print('Online users (2): alice, bob\n');
    out.log('13:00:00 INFO Accepted connection from 127.0.0.1:5001\n');
    expect(both.writes, 'nothing before the end of the turn').to.deep.equal([]);
    await turn();
    expect(both.writes).to.deep.equal([
      '13:00:00 INFO User bob successfully registered\n' +
        '13:00:00 INFO User bob logged in from 127.0.0.1:5000\n' +
        'Online users (2): alice, bob\n' +
        '13:00:00 INFO Accepted connection from 127.0.0.1:5001\n',
    ]);
  });

  it('sends each to its own stream when they are different places', async () => {
    const [stdout, stderr] = [recorder(), recorder()];
    const out = new ProcessOutput(stdout, stderr);
    out.log('a log line\n');
    out.print('an answer\n');
    out.log('another\n');
    await turn();
    expect(stdout.writes).to.deep.equal(['an answer\n']);
    expect(stderr.writes).to.deep.equal(['a log line\nanother\n']);
  });

  it('on a terminal, erases the prompt before a batch and draws it again after, in one write; raw echo goes at once', async () => {
    const tty = recorder();
    const out = new ProcessOutput(tty, null);
    out.hold({ erase: () => '<erase>', redraw: () => out.raw('> sta') });
    out.raw('s');
    out.log('log line\n');
    out.print('Online users (1): alice\n');
    expect(tty.writes).to.deep.equal(['s']);
    await turn();
    expect(tty.writes).to.deep.equal(['s', '<erase>log line\nOnline users (1): alice\n> sta']);
    out.raw('t');
    expect(tty.writes.at(-1), 'echo after the batch goes at once again').to.equal('t');
    // Log lines that go elsewhere (stderr to a file) leave the prompt alone.
    const [term, file] = [recorder(), recorder()];
    const split = new ProcessOutput(term, file);
    split.hold({ erase: () => '<erase>', redraw: () => split.raw('> ') });
    split.log('to the file\n');
    await turn();
    expect(term.writes).to.deep.equal([]);
    expect(file.writes).to.deep.equal(['to the file\n']);
  });

  it('end() writes what is pending, without the prompt, and ends the streams', async () => {
    const [stdout, stderr] = [recorder(), recorder()];
    const out = new ProcessOutput(stdout, stderr);
    out.hold({ erase: () => '<erase>', redraw: () => out.raw('> ') });
    out.log('Server stopped\n');
    out.print('bye\n');
    await out.end();
    expect(stderr.writes).to.deep.equal(['Server stopped\n']);
    expect(stdout.writes).to.deep.equal(['bye\n']);
    expect(stdout.ended && stderr.ended).to.equal(true);
  });
});

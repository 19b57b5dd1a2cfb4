/**
 * A minimal stand-in for the CLI client, run as its own process by the end-to-end presence spec
 * when dist/client/main.js is not built: logs in over TCP and sends a heartbeat at once and then
 * every 5 s, as the real client does.
 *
 *   node beating-client.js --port P --user U --password W [--udp-port Q]
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { FrameDecoder, encodeMessage, validate } from '../../common/codec.js';
import { ChatError } from '../../common/errors.js';
import { encodeHeartbeat } from '../../common/heartbeat.js';
import { SERVER_MESSAGES, type ClientMessage, type ServerMessage } from '../../common/protocol.js';

const INTERVAL_MS = 5000;
const { values } = parseArgs({
  options: { port: { type: 'string' }, user: { type: 'string' }, password: { type: 'string' }, 'udp-port': { type: 'string' } },
});
const host = '127.0.0.1';
const socket = net.connect({ host, port: Number(values.port) });
const decoder = new FrameDecoder(1 << 20);
const udp = dgram.createSocket('udp4');
let seq = 0n;

const login: ClientMessage<'login'> = { type: 'login', user: values.user!, password: values.password! };
socket.on('connect', () => socket.write(encodeMessage(login)));
socket.on('data', (chunk) => {
  for (const { frame } of decoder.push(chunk)) {
    const msg = frame ? validate<ServerMessage>(frame, SERVER_MESSAGES) : null;
    if (msg && !(msg instanceof ChatError) && msg.type === 'login_ok') start(msg);
  }
});
socket.on('close', () => process.exit(1));

function start(me: ServerMessage<'login_ok'>): void {
  const port = Number(values['udp-port'] ?? me.udpPort);
  const secret = Buffer.from(me.secret!, 'base64');
  const beat = () => udp.send(encodeHeartbeat(me.session!, ++seq, secret), port, host);
  beat();
  setInterval(beat, INTERVAL_MS);
  process.stdout.write(`Logged in as ${me.user}\n`);
}

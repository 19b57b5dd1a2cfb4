/**
 * Two connected in-memory streams that behave like the two ends of a socket: what one writes, the
 * other reads; ending or destroying one ends the other's reading side, and each end closes itself
 * once its reading side has ended (allowHalfOpen off, as for a net.Socket). The server serves any
 * duplex stream, so dispatch specs need no TCP. (Node 22 has stream.duplexPair; Node 20 does not.)
 */
import { Duplex } from 'node:stream';

export function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const end = (peer: () => Duplex) =>
    new Duplex({
      allowHalfOpen: false,
      read() {},
      write(chunk: Buffer, _encoding, done) {
        peer().push(chunk);
        done();
      },
      final(done) {
        peer().push(null);
        done();
      },
      destroy(error, done) {
        const other = peer();
        if (!other.readableEnded && !other.destroyed) other.push(null);
        done(error);
      },
    });
  ends.push(end(() => ends[1]!), end(() => ends[0]!));
  return [ends[0]!, ends[1]!];
}

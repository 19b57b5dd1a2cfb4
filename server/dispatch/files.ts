/**
 * Files sent with consent (issue 16): the handlers read the request; the rules are the transfers'
 * (server/chat/transfers.ts). An offer counts toward the flood limit like a chat line; chunks and
 * the rest do not: chunks have a byte rate of their own (--file-rate).
 */
import type { Command } from './context.js';
import { mustBeSomeone } from './recipient.js';

/** file_offer {to, id, size, name+sha256 | meta}: from `/send bob report.pdf`. */
export const file_offer: Command<'file_offer'> = {
  login: true,
  limited: true,
  refuses: ({ id }) => ({ id }),
  run(ctx, msg) {
    mustBeSomeone(ctx, msg.to);
    // To a user of another server: settled once that server took the offer.
    return ctx.files.offer(ctx.me, msg);
  },
};

/** file_answer {from, id, accept}: Y/N, `/accept`, `/reject` for a file. */
export const file_answer: Command<'file_answer'> = {
  login: true,
  refuses: ({ from, id }) => ({ from, id }),
  run({ files, me }, msg) {
    return files.answer(me, msg);
  },
};

/** file_chunk {id, seq} (body: bytes, or sealed): the next chunk of the sender's transfer. */
export const file_chunk: Command<'file_chunk'> = {
  login: true,
  // Named, as the ack's and done's refusals: one that crossed the other side's end is no news to the client.
  refuses: ({ id }) => ({ id }),
  run({ files, me }, msg) {
    files.chunk(me, msg);
  },
};

/** file_ack {from, id, seq}: the receiver has every chunk up to `seq`. */
export const file_ack: Command<'file_ack'> = {
  login: true,
  refuses: ({ from, id }) => ({ from, id }),
  run({ files, me }, msg) {
    files.ack(me, msg);
  },
};

/** file_done {from, id, ok}: the receiver checked the whole file. */
export const file_done: Command<'file_done'> = {
  login: true,
  refuses: ({ from, id }) => ({ from, id }),
  run({ files, me }, msg) {
    files.done(me, msg);
  },
};

/** file_cancel {id, from?}: `/cancel`, on either side. */
export const file_cancel: Command<'file_cancel'> = {
  login: true,
  run({ files, me }, msg) {
    files.cancel(me, msg);
  },
};

/**
 * The sentences users read in `notice` and `bye` frames, defined once. The `event` name (one of
 * NOTICE_EVENTS in common/protocol.ts) is the stable part that clients and tests match on; the
 * text may be reworded freely.
 */
export const NOTICES = {
  join: (u: string) => `${u} joined the chat`,
  leave: (u: string) => `${u} left the chat`,
  offline: (u: string, s: number) => `${u} went offline (no heartbeat for ${s} s)`,
  gone: (u: string) => `${u} went offline (connection lost)`,
  reconnected: (u: string) => `${u} reconnected`,
  you_offline: (s: number) =>
    `You were marked offline: the server heard no heartbeat for ${s} s (is UDP blocked?). Others now see you offline.`,
  you_unreachable: () =>
    'You were taken offline: your server lost contact with the rest of the cluster for longer than its lease. Log in again.',
  pm_invite: (u: string) => `${u} wants a private chat with you (Y/N)?`,
  pm_sent: (u: string) => `Private chat request sent to ${u}; waiting for the answer`,
  pm_started: (u: string) => `You are now in a private chat with ${u}. Type EXIT PM to leave.`,
  pm_refused: (u: string) => `${u} refused your private chat request`,
  pm_you_refused: (u: string) => `You refused the private chat request from ${u}`,
  pm_expired_sender: (u: string, s: number) => `Your private chat request to ${u} expired after ${s} s without an answer`,
  pm_expired_recipient: (u: string) => `The private chat request from ${u} expired`,
  pm_cancelled: (u: string) => `The private chat request between you and ${u} was cancelled: ${u} is no longer available`,
  pm_ended: (u: string) => `${u} left the private chat`,
  pm_left: (u: string) => `You left the private chat with ${u}`,
  presence: (joined: string[], left: string[], online: number) =>
    [
      joined.length ? `${listSome(joined)} joined` : '',
      left.length ? `${listSome(left)} left` : '',
      `${online} online`,
    ].filter(Boolean).join('; '),
  muted: (s: number) => `You are sending too fast: muted for ${s} s`,
  unmuted: () => 'You can talk again',
  youAway: (m: string) => `You are marked as away: "${m}". Type /back when you are back.`,
  back: () => 'Welcome back: you are no longer marked as away',
  away: (u: string, m: string) => `${u} is away: ${m}`,
  operator_muted: (s: number) => `The operator muted you for ${s} s`,
  kicked: (u: string) => `${u} was removed from the chat by the operator`,
  you_kicked: (why: string) => `You were removed from the chat by the operator${why ? `: ${why}` : ''}`,
  live: (n: number) => (n === 1 ? 'Above: the last line said here. Live chat from here.' : `Above: the last ${n} lines said here. Live chat from here.`),
  caughtUp: (n: number, skipped: number) =>
    `Above: the ${n === 1 ? 'line' : `${n} lines`} you missed${skipped > 0 ? ` (${skipped} older ${skipped === 1 ? 'one' : 'ones'}: /history)` : ''}. Live chat from here.`,
  historyPage: (n: number, older: boolean) =>
    n === 0 ? 'Nothing older: this is the start of the history.' : `${n} older line${n === 1 ? '' : 's'} above${older ? '; /history for more' : '; nothing older'}.`,
  historyMuted: () => 'No history while you are muted: /history again once you can talk.',
  historyNotNow: () => 'No history this time: /history again.',
  historyOff: () => 'This server keeps no history.',
  offlineStored: (u: string) => `${u} is offline; your message will be delivered when ${u} logs in`,
  offlineDelivered: (n: number) => `${n} message${n > 1 ? 's' : ''} came while you were away:`,
  disconnected: (u: string, s: number) =>
    `${u} is disconnected; your private lines will be delivered if ${u} comes back within ${s} s`,
  /** What pm_undelivered quotes for an encrypted line: the server cannot read it. */
  sealedLine: () => '(an encrypted line)',
  pm_rekey: (u: string) => `${u}'s client renewed the keys of your encrypted private chat`,
  undelivered: (u: string, lines: string[], more: number) =>
    `These private lines did not reach ${u}: ${lines.map((l) => `"${l}"`).join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
  shutdown: () => 'Server is shutting down',
  goodbye: (u: string) => `Goodbye, ${u}!`,
  replaced: () => 'Your session was resumed from another connection',
  paused: () => 'Chat is paused, reconnecting to the cluster; lines you send meanwhile are not delivered (you will be told)',
  resumed: () => 'Chat resumed: this server is back in the cluster',
} as const;

/** "a, b, c and 7 others": a long list named in part. */
function listSome(names: string[], most = 5): string {
  if (names.length <= most) return names.join(', ');
  return `${names.slice(0, most).join(', ')} and ${names.length - most} others`;
}

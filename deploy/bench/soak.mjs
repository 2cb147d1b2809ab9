// Row 10, the soak: minutes of the traffic that rewrites stored rows, on the sockets of the
// send loads (8 chats × 4 in flight): every message is sent and awaited as in messaging.mjs
// (ack and the peer's `message_received`); after it, the sender edits every EDIT_EVERY-th of its
// messages, the receiver reacts to every REACT_EVERY-th and marks what it received read every
// READ_EVERY messages. Each of those rewrites rows: the message (readBy, reactions, content,
// its outbox markers), the outbox collections (a row per batch of sends, per read, deleted once
// published), and the chat (chat-api's counters). Counts and errors only, no latencies; the
// messages completed per minute show whether the rate sagged as the store aged.
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { emitAck } from '@chat/testkit';
import { sendOne } from './messaging.mjs';

const EDIT_EVERY = 8;
const REACT_EVERY = 8;
const READ_EVERY = 4;
const ACK_TIMEOUT_MS = 10_000;
const MAX_ERROR_DETAILS = 20;

export async function soak(pairs, { inFlight, seconds }) {
  const tag = randomBytes(4).toString('hex');
  const counts = { sent: 0, edits: 0, reactions: 0, reads: 0, errors: 0 };
  const errorDetails = [];
  const perMinute = [];
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let n = 0;
  const fail = (what) => {
    counts.errors++;
    if (errorDetails.length < MAX_ERROR_DETAILS) errorDetails.push(what);
  };
  const command = async (kind, socket, event, payload) => {
    try {
      const ack = await emitAck(socket, event, payload, ACK_TIMEOUT_MS);
      if (ack?.ok) counts[kind]++;
      else fail(`${event}: ack ${JSON.stringify(ack)}`);
    } catch (err) {
      fail(`${event}: ${err.message}`);
    }
  };
  const slot = async (pair, s) => {
    let unread = [];
    for (let i = 0; performance.now() < deadline; i++) {
      const r = await sendOne(pair, `soak-${tag}-${n++}`);
      if (r.error) {
        fail(r.error);
        continue;
      }
      counts.sent++;
      const minute = Math.floor((performance.now() - t0) / 60_000);
      perMinute[minute] = (perMinute[minute] ?? 0) + 1;
      unread.push(r.messageId);
      const { chatId } = pair;
      if ((i + s) % EDIT_EVERY === 0)
        await command('edits', pair.sender, 'edit_message', { chatId, messageId: r.messageId, newContent: `edited soak ${tag} ${i}` });
      if ((i + s) % REACT_EVERY === REACT_EVERY / 2)
        await command('reactions', pair.receiver, 'add_reaction', { chatId, messageId: r.messageId, emoji: '👍' });
      if (unread.length >= READ_EVERY) {
        const messageIds = unread;
        unread = [];
        await command('reads', pair.receiver, 'mark_as_read', { chatId, messageIds });
      }
    }
  };
  await Promise.all(pairs.flatMap((pair) => Array.from({ length: inFlight }, (_, s) => slot(pair, s))));
  const elapsed = (performance.now() - t0) / 1000;
  // msg/s in each whole minute, and in the part-minute at the end if it lasted 10 s or more.
  const rates = Array.from({ length: perMinute.length }, (_, m) => ({ m, s: Math.min(60, elapsed - m * 60) }))
    .filter(({ s }) => s >= 10)
    .map(({ m, s }) => (perMinute[m] ?? 0) / s);
  return { ...counts, seconds: elapsed, perSecond: counts.sent / elapsed, perMinuteRates: rates, errorDetails };
}

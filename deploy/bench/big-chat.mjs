// Row 9, one big chat: the calls a client makes in a chat, timed in ONE chat of `--big`
// messages against the same calls in a chat of 100, both seeded (seed.mjs) into the same store
// in the same run. Each row alternates the two chats call by call (big first, then small first,
// and so on), so drift on a busy machine falls on both sides, and compares medians.
// Everything goes through the edge, as a client would: REST with the user's token, socket
// commands over a socket of the user's own, timed to their ack.
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { connectSocket, emitAck, tokenFor } from '@chat/testkit';
import { SEARCH_WORD } from './seed.mjs';
import { summary } from './stats.mjs';

/** Untimed calls of each chat before a row's timed ones. */
const WARMUP = 1;
/** Calls per chat and row, warm-up included, when `calls` are timed. */
export const bigChatRounds = (calls) => WARMUP + calls;
/** Messages one mark_as_read names. */
const READ_IDS = 3;

/** The middle of a chat of `n` (an even seq: b sent it, a received it). */
const middleOf = (n) => Math.max(2, 2 * Math.floor(n / 4));

/**
 * The seqs whose message ids the rows need in a chat of `n` when each row makes `rounds` calls
 * per chat (warm-up included): the middle (cursors); a's messages to edit and react to, one
 * per call (odd seqs from the middle up); b's to mark read, READ_IDS per call (even seqs below
 * the middle, or from 2 up in a small chat); one to reply to per call, 25 below the middle.
 * Every call writes a message no other call touched.
 */
export function neededSeqs(n, rounds) {
  const m = middleOf(n);
  const readFrom = Math.max(2, m - 2 * READ_IDS * rounds);
  const replyFrom = Math.max(1, m - 25);
  const seqs = {
    middle: m,
    edit: Array.from({ length: rounds }, (_, i) => m + 1 + 2 * i),
    read: Array.from({ length: rounds }, (_, i) => Array.from({ length: READ_IDS }, (_, j) => readFrom + 2 * (READ_IDS * i + j))),
    reply: Array.from({ length: rounds }, (_, i) => replyFrom + i),
  };
  const all = [m, ...seqs.edit, ...seqs.read.flat(), ...seqs.reply];
  if (Math.max(...all) > n) throw new Error(`a chat of ${n} messages is too small for ${rounds} calls per row`);
  return { ...seqs, all: new Set(all) };
}

/** A call that gave up after `ms`: the row's value is then a lower bound. */
class CallTimeout extends Error {}

/**
 * The rows. `chats.big` / `chats.small`: { chat: { chatId, a, b }, n, ids } where `ids` maps
 * `<chatId>:<seq>` to the message id of every seq neededSeqs named. `calls` timed calls per
 * chat and row; a row starts no new pair of calls after `rowSeconds` (one timed pair at
 * least); a call that takes longer than `callTimeoutMs` ends its row, whose big-chat value
 * is then that timeout, a lower bound.
 */
export async function bigChatRows(edgeUrl, chats, { calls, rowSeconds, callTimeoutMs }) {
  const rounds = bigChatRounds(calls);
  const sides = {};
  for (const [name, c] of Object.entries(chats)) {
    const seqs = neededSeqs(c.n, rounds);
    const id = (seq) => {
      const hex = c.ids.get(`${c.chat.chatId}:${seq}`);
      if (!hex) throw new Error(`no id of seq ${seq} in the ${name} chat`);
      return hex;
    };
    sides[name] = { ...c, seqs, id, headers: { authorization: `Bearer ${tokenFor(c.chat.a)}` } };
  }
  const sockets = [];
  try {
    for (const side of Object.values(sides)) {
      side.socket = await connectSocket(edgeUrl, tokenFor(side.chat.a));
      sockets.push(side.socket);
      const ack = await emitAck(side.socket, 'join_chat', { chatId: side.chat.chatId });
      if (!ack?.ok) throw new Error(`join_chat refused: ${JSON.stringify(ack)}`);
    }

    const get = (path) => async (side) => {
      const url = `${edgeUrl}/api/chats/${side.chat.chatId}${typeof path === 'function' ? path(side) : path}`;
      let res;
      try {
        res = await fetch(url, { headers: side.headers, signal: AbortSignal.timeout(callTimeoutMs) });
      } catch (err) {
        if (err.name === 'TimeoutError') throw new CallTimeout(`GET ${url}: no answer within ${callTimeoutMs} ms`);
        throw err;
      }
      const body = await res.text();
      if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 200)}`);
    };
    const command = async (side, event, payload) => {
      let ack;
      try {
        ack = await emitAck(side.socket, event, payload, callTimeoutMs);
      } catch (err) {
        if (/timed out|timeout/i.test(err.message)) throw new CallTimeout(`${event}: no ack within ${callTimeoutMs} ms`);
        throw err;
      }
      if (!ack?.ok) throw new Error(`${event}: ack ${JSON.stringify(ack)}`);
      return ack;
    };
    const tag = randomBytes(4).toString('hex');
    const ops = {
      first: get('/messages?limit=50'),
      before: get((s) => `/messages?limit=50&before=${s.id(s.seqs.middle)}`),
      after: get((s) => `/messages?limit=50&after=${s.id(s.seqs.middle)}`),
      // 25 a page, so page 3 is full in the chat of 100 too.
      page3: get('/messages?limit=25&page=3'),
      // The last 100 changes of the chat as seeded (in the chat of 100: all of them).
      tail: get((s) => `/changes?since=${Math.max(0, s.n - 100)}&limit=100`),
      since0: get('/changes?since=0'),
      // 10 a page: every 10th message holds the word, so the chat of 100 fills the page too and
      // both return as many matches (at 20 the small chat would answer 10 and stop short).
      search: get(`/search?q=${SEARCH_WORD}&limit=10`),
      edit: async (side, i) => {
        const messageId = side.id(side.seqs.edit[i]);
        await command(side, 'edit_message', { chatId: side.chat.chatId, messageId, newContent: `edited ${tag} ${i}` });
        await command(side, 'add_reaction', { chatId: side.chat.chatId, messageId, emoji: '👍' });
      },
      read: (side, i) => command(side, 'mark_as_read', { chatId: side.chat.chatId, messageIds: side.seqs.read[i].map(side.id) }),
      reply: (side, i) =>
        command(side, 'send_message', {
          chatId: side.chat.chatId,
          content: `reply ${tag} ${i}`,
          messageType: 'text',
          clientMessageId: `big-${tag}-${i}`,
          replyToId: side.id(side.seqs.reply[i]),
        }),
    };

    const rows = {};
    for (const [name, op] of Object.entries(ops)) {
      const started = performance.now();
      const latencies = { big: [], small: [] };
      let timedOut;
      let error;
      // After a call timed out its chat is called no more (the small chat's calls still run, so
      // the row has its baseline); any other failure ends the row.
      for (let i = 0; i < rounds && !error; i++) {
        if (i > WARMUP && performance.now() - started > rowSeconds * 1000) break;
        const order = (i % 2 ? ['small', 'big'] : ['big', 'small']).filter((w) => timedOut?.side !== w);
        if (order.length === 0) break;
        for (const which of order) {
          const t0 = performance.now();
          try {
            await op(sides[which], i);
          } catch (err) {
            if (err instanceof CallTimeout && !timedOut) timedOut = { side: which, ms: callTimeoutMs, message: err.message };
            else error = `${which}: ${err.message}`;
            continue;
          }
          if (i >= WARMUP) latencies[which].push(performance.now() - t0);
        }
      }
      const big = summary(latencies.big, 0);
      const small = summary(latencies.small, 0);
      // A big-chat call that timed out is the row's value: at least the timeout.
      if (timedOut?.side === 'big') Object.assign(big, { p50: timedOut.ms, lowerBound: true });
      rows[name] = { big, small, timedOut, error, seconds: (performance.now() - started) / 1000 };
    }
    return { ...rows, callTimeoutMs };
  } finally {
    for (const s of sockets) s.close();
  }
}

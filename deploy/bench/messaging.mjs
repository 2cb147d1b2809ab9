// Closed-loop messaging: a message is done when the sender's ack came back AND the peer's
// socket got `message_received` for it; the next message of that slot is sent only then.
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { connectSocket, emitAck, tokenFor } from '@chat/testkit';
import { cpuMeter, cpuPerMessage } from './procstat.mjs';
import { summary } from './stats.mjs';

const MESSAGE_TIMEOUT_MS = 10_000;
const MAX_ERROR_DETAILS = 20;

/**
 * Per chat, a sender socket (user a) on `senderUrl` and a receiver socket (user b) on
 * `receiverUrl`, both in the chat's room. The receiver routes `message_received` to the
 * waiting send by clientMessageId.
 */
export async function openPairs(chats, senderUrl, receiverUrl = senderUrl) {
  const pairs = [];
  try {
    for (const { a, b, chatId } of chats) {
      const sender = await connectSocket(senderUrl, tokenFor(a));
      const receiver = await connectSocket(receiverUrl, tokenFor(b));
      const pair = { chatId, sender, receiver, pending: new Map() };
      pairs.push(pair);
      for (const socket of [sender, receiver]) {
        const ack = await emitAck(socket, 'join_chat', { chatId });
        if (!ack?.ok) throw new Error(`join_chat refused: ${JSON.stringify(ack)}`);
      }
      receiver.on('message_received', (m) => pair.pending.get(m.clientMessageId)?.());
    }
  } catch (err) {
    closePairs(pairs);
    throw err;
  }
  return pairs;
}

export function closePairs(pairs) {
  for (const { sender, receiver } of pairs) {
    sender.close();
    receiver.close();
  }
}

/** Sends one message and resolves (never rejects) with its id and timings, or its error. */
export function sendOne(pair, clientMessageId) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let ackAt;
    let receivedAt;
    let messageId;
    const finish = (error) => {
      clearTimeout(timer);
      pair.pending.delete(clientMessageId);
      resolve(error ? { error } : { messageId, done: Math.max(ackAt, receivedAt) - t0, received: receivedAt - t0, ack: ackAt - t0 });
    };
    const timer = setTimeout(
      () => finish(`${clientMessageId}: ${ackAt === undefined ? 'no ack' : 'no message_received'} within ${MESSAGE_TIMEOUT_MS} ms`),
      MESSAGE_TIMEOUT_MS,
    );
    pair.pending.set(clientMessageId, () => {
      receivedAt = performance.now();
      if (ackAt !== undefined) finish();
    });
    const payload = { chatId: pair.chatId, content: `bench ${clientMessageId}`, messageType: 'text', clientMessageId };
    pair.sender.emit('send_message', payload, (ack) => {
      if (!ack?.ok) return finish(`${clientMessageId}: ack ${JSON.stringify(ack)}`);
      ackAt = performance.now();
      messageId = ack.messageId;
      if (receivedAt !== undefined) finish();
    });
  });
}

/**
 * `inFlight` closed loops per pair, at most `total` messages in all and no new send after
 * `seconds`, after `warmup` untimed messages per pair. Rates count completed messages only.
 * With `cpuGroups` (a `() => { group: [pid] }` for procstat's cpuMeter, and `cpuReapers` its
 * `reapers`), the CPU those processes used during the timed part is `cpu`, and `cpuPerMessage` spreads it over the completed
 * messages; with `afterLoad` too (an async function, e.g. waiting for the event backlog the load
 * left to drain), `cpuSettled` / `cpuPerMessageSettled` are the same counted until it returned,
 * and `afterLoad` what it returned.
 */
export async function measureSends(pairs, { inFlight, total, seconds, warmup = 5, cpuGroups, cpuReapers, afterLoad }) {
  const tag = randomBytes(4).toString('hex');
  let n = 0;
  await Promise.all(pairs.map(async (pair) => {
    for (let i = 0; i < warmup; i++) await sendOne(pair, `w-${tag}-${n++}`);
  }));

  const done = [];
  const received = [];
  const errors = [];
  let started = 0;
  const meter = cpuGroups ? cpuMeter(cpuGroups, { reapers: cpuReapers }) : undefined;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const slot = async (pair) => {
    while (started < total && performance.now() < deadline) {
      started++;
      const r = await sendOne(pair, `m-${tag}-${n++}`);
      if (r.error) errors.push(r.error);
      else {
        done.push(r.done);
        received.push(r.received);
      }
    }
  };
  await Promise.all(pairs.flatMap((pair) => Array.from({ length: inFlight }, () => slot(pair))));
  const elapsed = performance.now() - t0;
  const cpu = meter?.();
  const settled = meter && afterLoad ? await afterLoad() : undefined;
  const cpuSettled = meter && afterLoad ? meter() : undefined;
  const receive = summary(received, elapsed);
  return {
    ...summary(done, elapsed),
    receiveP50: receive.p50,
    receiveP99: receive.p99,
    errors: errors.length,
    errorDetails: errors.slice(0, MAX_ERROR_DETAILS),
    ...(meter ? { cpu, cpuPerMessage: cpuPerMessage(cpu, done.length) } : {}),
    ...(cpuSettled ? { afterLoad: settled, cpuSettled, cpuPerMessageSettled: cpuPerMessage(cpuSettled, done.length) } : {}),
  };
}

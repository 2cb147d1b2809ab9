// One complete conversation through the edge between two users whose sockets sit on two
// different gateway nodes, run against the full store. It checks behaviour, not speed: every
// step that does not answer as docs/api-guide.md says adds an error.
import { randomBytes } from 'node:crypto';
import { api, connectSocket, emitAck, newUserId, nextEvent, tokenFor } from '@chat/testkit';

const STEP_TIMEOUT_MS = 5_000;
const nodeOf = (socket) => socket.io.engine.id.split('.')[0];

/** A socket through the edge on a node other than `avoidNode` (the edge picks new sessions round-robin). */
async function socketAvoiding(edgeUrl, token, avoidNode) {
  for (let attempt = 0; attempt < 6; attempt++) {
    const socket = await connectSocket(edgeUrl, token);
    if (nodeOf(socket) !== avoidNode) return socket;
    socket.close();
  }
  throw new Error(`the edge kept placing the second user on ${avoidNode}`);
}

export async function runConversation(edgeUrl) {
  const errors = [];
  const sockets = [];
  /** Runs one step; a throw or a wrong answer becomes an error and the conversation goes on. */
  const step = async (name, fn) => {
    try {
      return await fn();
    } catch (err) {
      errors.push(`${name}: ${err.message}`);
      return undefined;
    }
  };
  /** An ack that must be ok, and the broadcast `event` the other user must get for it. */
  const command = async (name, socket, event, payload, peer, broadcast, match) => {
    const seen = peer ? nextEvent(peer, broadcast, STEP_TIMEOUT_MS, match) : Promise.resolve();
    seen.catch(() => undefined); // judged below, after the ack
    const ack = await emitAck(socket, event, payload, STEP_TIMEOUT_MS);
    if (!ack?.ok) throw new Error(`ack ${JSON.stringify(ack)}`);
    const got = await seen.catch((err) => {
      throw new Error(`ack ok but the other user got no ${broadcast}: ${err.message}`);
    });
    return { ack, got };
  };

  const alice = newUserId();
  const bob = newUserId();
  const asAlice = api(edgeUrl, tokenFor(alice));
  const asBob = api(edgeUrl, tokenFor(bob));
  const word = `conv${randomBytes(4).toString('hex')}`;
  try {
    const chatId = await step('POST /api/chats/or-create', async () => {
      const res = await asAlice.post('/api/chats/or-create', { recipientId: bob });
      if (res.status !== 201) throw new Error(`status ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.data._id;
    });
    if (!chatId) return { errors, steps: 1 };
    await step('POST /api/chats/:chatId/accept', async () => {
      const res = await asBob.post(`/api/chats/${chatId}/accept`);
      if (res.status !== 200) throw new Error(`status ${res.status} ${JSON.stringify(res.body)}`);
    });

    const a = await connectSocket(edgeUrl, tokenFor(alice));
    sockets.push(a);
    const b = await socketAvoiding(edgeUrl, tokenFor(bob), nodeOf(a));
    sockets.push(b);
    const nodes = [nodeOf(a), nodeOf(b)];
    for (const [who, s] of [['alice', a], ['bob', b]])
      await step(`join_chat (${who})`, async () => {
        const ack = await emitAck(s, 'join_chat', { chatId }, STEP_TIMEOUT_MS);
        if (!ack?.ok) throw new Error(`ack ${JSON.stringify(ack)}`);
      });

    const sent = await step('send_message', () =>
      command('send_message', a, 'send_message', { chatId, content: 'hello from alice', messageType: 'text', clientMessageId: `c1-${word}` }, b, 'message_received', (m) => m.clientMessageId === `c1-${word}`),
    );
    const first = sent?.ack.messageId;
    const reply = await step('send_message with replyToId', async () => {
      const r = await command('send_message', b, 'send_message', { chatId, content: `reply ${word}`, messageType: 'text', clientMessageId: `c2-${word}`, replyToId: first }, a, 'message_received', (m) => m.clientMessageId === `c2-${word}`);
      if (!JSON.stringify(r.got.replyTo ?? null).includes(first)) throw new Error(`message_received.replyTo is ${JSON.stringify(r.got.replyTo)}, not ${first}`);
      return r;
    });
    const second = reply?.ack.messageId;
    await step('edit_message', () => command('edit_message', a, 'edit_message', { chatId, messageId: first, newContent: 'hello, edited' }, b, 'message_edited', (m) => m.messageId === first));
    await step('add_reaction', () => command('add_reaction', b, 'add_reaction', { chatId, messageId: first, emoji: '👍' }, a, 'reaction_added', (m) => m.messageId === first));
    await step('mark_as_read', () => command('mark_as_read', b, 'mark_as_read', { chatId, messageIds: [first] }, a, 'messages_read', (m) => m.messageIds?.includes(first)));
    await step('delete_message', () => command('delete_message', a, 'delete_message', { chatId, messageId: first }, b, 'message_deleted', (m) => m.messageId === first));

    await step('GET /search', async () => {
      const res = await asAlice.get(`/api/chats/${chatId}/search?q=${word}`);
      if (res.status !== 200) throw new Error(`status ${res.status} ${JSON.stringify(res.body)}`);
      const ids = (res.body.data ?? []).map((m) => m._id);
      if (!ids.includes(second) || ids.length !== 1) throw new Error(`expected only the reply ${second}, got ${JSON.stringify(ids)}`);
    });
    await step('GET /changes catch-up', async () => {
      const res = await asBob.get(`/api/chats/${chatId}/changes?since=0`);
      if (res.status !== 200) throw new Error(`status ${res.status} ${JSON.stringify(res.body)}`);
      const changes = res.body.data?.changes ?? [];
      const byId = new Map(changes.map((c) => [c._id, c]));
      if (!byId.get(first)?.isDeleted) throw new Error(`no tombstone for the deleted message: ${JSON.stringify(byId.get(first))}`);
      if (!byId.has(second)) throw new Error('the reply is missing from the change feed');
      const revs = changes.map((c) => c.rev);
      if (revs.some((r, i) => i > 0 && r <= revs[i - 1])) throw new Error(`revs not increasing: ${revs}`);
      if (res.body.data.rev !== revs.at(-1)) throw new Error(`data.rev ${res.body.data.rev} is not the last change's ${revs.at(-1)}`);
    });
    return { errors, nodes, steps: 12 };
  } catch (err) {
    errors.push(`conversation aborted: ${err.message}`);
    return { errors, steps: 12 };
  } finally {
    for (const s of sockets) s.close();
  }
}

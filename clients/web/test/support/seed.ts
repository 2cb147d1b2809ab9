import { randomUUID } from 'node:crypto';
import { api, connectSocket, emitAck } from '@chat/testkit';
import type { Person } from './people.js';

/**
 * What a case needs to exist before its pages open, made through the public API (REST and a
 * socket of the user's), so each case starts from its own chat instead of an earlier case's.
 */

async function ok(res: Promise<{ status: number; body: any }>, expected: number[]): Promise<any> {
  const { status, body } = await res;
  if (!expected.includes(status)) throw new Error(`seeding failed: ${status} ${JSON.stringify(body)}`);
  return body;
}

/** `from` asks `to` for a chat (a message request) and answers its id. */
export async function requestChat(url: string, from: Person, to: Person): Promise<string> {
  const body = await ok(api(url, from.token).post('/api/chats/or-create', { recipientId: to.userId }), [201]);
  return body.data._id as string;
}

/** `texts` sent by `who` in order, from a socket of their own (a second device) closed after. */
export async function say(url: string, who: Person, chatId: string, texts: string[]): Promise<void> {
  const socket = await connectSocket(url, who.token);
  try {
    for (const [i, content] of texts.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, 40)); // under the per-user event budget
      const ack = await emitAck(socket, 'send_message', { chatId, content, clientMessageId: randomUUID() });
      if (!ack?.ok) throw new Error(`seeding failed: send_message ${JSON.stringify(ack)}`);
    }
  } finally {
    socket.close();
  }
}

/** A chat `from` asked for with `opening` and `to` accepted: both may write. */
export async function acceptedChat(url: string, from: Person, to: Person, opening: string): Promise<string> {
  const chatId = await requestChat(url, from, to);
  await say(url, from, chatId, [opening]);
  await ok(api(url, to.token).post(`/api/chats/${chatId}/accept`), [200]);
  return chatId;
}

// Making the chats a scenario works in, over REST through the edge.
import http from 'k6/http';
import { check, fail } from 'k6';
import { BASE_URL, idOf, json, newUser } from './config.js';

const OR_CREATE = 'POST /api/chats/or-create';

/**
 * Two fresh users and an accepted chat between them: the first one's or-create makes a
 * pending request (201), the second one's or-create back turns it `auto_accepted` (200), so
 * both may send. Fails the iteration (or setup) when the API does not answer so.
 */
export function makeChat() {
  const a = newUser();
  const b = newUser();
  const created = http.post(`${BASE_URL}/api/chats/or-create`, JSON.stringify({ recipientId: b.id }), {
    headers: a.headers,
    tags: { name: OR_CREATE },
  });
  const chatId = idOf((json(created) || {}).data);
  const answered = http.post(`${BASE_URL}/api/chats/or-create`, JSON.stringify({ recipientId: a.id }), {
    headers: b.headers,
    tags: { name: OR_CREATE },
  });
  const answer = json(answered) || {};
  const ok = check(null, {
    'or-create: 201 with a chat id': () => created.status === 201 && typeof chatId === 'string' && chatId.length === 24,
    'or-create back: 200, same chat, auto_accepted': () =>
      answered.status === 200 && idOf(answer.data) === chatId && answer.data.status === 'auto_accepted',
  });
  if (!ok) fail(`could not make a chat (or-create answered ${created.status} / ${answered.status})`);
  return { chatId: /** @type {string} */ (chatId), users: [a, b] };
}

// Media through the edge: each VU owns one accepted chat and, per iteration, opens one socket
// per participant (POLLING_SHARE of them long polling), then UPLOADS times in turns: uploads a
// PNG made in the script (POST /api/media/upload-chat-media, multipart: chatId, then file),
// sends it with send_media on the uploader's socket, waits for `media_received` on the other
// participant's socket, and downloads the file from the URL the upload answered.
//   JWT_SECRET=... k6 run deploy/k6/media.js
// Env: see README.md (VUS, SESSIONS, UPLOADS, PNG_SIZE, P95_UPLOAD_MS, ...).
import http from 'k6/http';
import { check } from 'k6';
import { Rate, Trend } from 'k6/metrics';
import { BASE_URL, env, envNum, failRate, json, objectId, okRate, p95, transportFor } from './lib/config.js';
import { makeChat } from './lib/chat.js';
import { ACK_TIMEOUT_MS, RECEIVE_TIMEOUT_MS, openPair, routeTags } from './lib/pair.js';
import { delay } from './lib/socketio.js';
import { makePng, multipartBody } from './lib/png.js';

const VUS = envNum('VUS', 4);
const SESSIONS = envNum('SESSIONS', 3);
const UPLOADS = envNum('UPLOADS', 4);
const PNG_SIZE = envNum('PNG_SIZE', 64); // pixels a side: 64 -> about 12 KB
const UPLOAD_INTERVAL_MS = envNum('UPLOAD_INTERVAL_MS', 250);
const UPLOAD = 'POST /api/media/upload-chat-media';
const DOWNLOAD = 'GET /api/media/files/:name';

export const options = {
  scenarios: {
    media: {
      executor: 'per-vu-iterations',
      vus: VUS,
      iterations: SESSIONS,
      maxDuration: env('DURATION', '2m'),
      gracefulStop: '30s',
    },
  },
  thresholds: {
    http_req_failed: failRate(),
    checks: okRate(),
    socketio_connect_ok: okRate(),
    join_chat_ok: okRate(),
    upload_ok: okRate(),
    send_media_ok: okRate(),
    media_delivered: okRate(),
    [`http_req_duration{name:${UPLOAD}}`]: p95('P95_UPLOAD_MS', 1000),
    [`http_req_duration{name:${DOWNLOAD}}`]: p95('P95_DOWNLOAD_MS', 300),
    send_media_ack_ms: p95('P95_MEDIA_ACK_MS', 500),
    media_receive_ms: p95('P95_MEDIA_RECEIVE_MS', 750),
  },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

const uploadOk = new Rate('upload_ok');
const sendMediaOk = new Rate('send_media_ok');
const sendMediaAckMs = new Trend('send_media_ack_ms', true);
const mediaDelivered = new Rate('media_delivered');
const mediaReceiveMs = new Trend('media_receive_ms', true);

// One image per VU, made once in the init context; the seed makes each VU's bytes differ.
const PNG = makePng(PNG_SIZE, __VU % 251);

/** @type {{ chatId: string, users: { id: string, token: string }[] } | undefined} */
let chat;

/** Uploads the PNG into the chat as `user`; resolves with the upload's `data`, or undefined. */
async function upload(user, chatId, n) {
  const form = multipartBody(
    { chatId },
    { field: 'file', name: `k6-${__VU}-${__ITER}-${n}.png`, type: 'image/png', data: PNG },
  );
  const res = await http.asyncRequest('POST', `${BASE_URL}/api/media/upload-chat-media`, form.body, {
    headers: { Authorization: `Bearer ${user.token}`, 'Content-Type': form.contentType },
    tags: { name: UPLOAD },
  });
  const body = json(res) || {};
  const data = body.data || {};
  const ok = check(res, {
    'upload: 200, success': (r) => r.status === 200 && body.success === true,
    'upload: detected as an image/png from its bytes': () =>
      data.messageType === 'image' && data.mimeType === 'image/png',
    'upload: size, fileId and url': () =>
      data.fileSize === PNG.length && typeof data.fileId === 'string' && typeof data.url === 'string',
  });
  uploadOk.add(ok);
  if (!ok) console.warn(`upload failed: ${res.status} ${String(res.body).slice(0, 200)}`);
  return ok ? data : undefined;
}

/** Uploads, sends with send_media from `from`, and waits for media_received on `to`. */
async function shareImage(chatId, from, to, n) {
  const media = await upload(from.user, chatId, n);
  if (!media) return;
  const clientMessageId = `k6m-${__VU}-${__ITER}-${n}-${objectId().slice(0, 8)}`;
  const sentAt = Date.now();
  let ackedAt = 0;
  let receivedAt = 0;
  const received = to
    .expect('media_received', (m) => Boolean(m) && m.clientMessageId === clientMessageId, RECEIVE_TIMEOUT_MS)
    .then((m) => ((receivedAt = Date.now()), m));
  const acked = from
    .emit('send_media', { chatId, messageType: media.messageType, media, clientMessageId }, ACK_TIMEOUT_MS)
    .then((r) => ((ackedAt = Date.now()), r));
  const [ack, msg] = await Promise.all([acked, received]);

  const ok = ack.ok === true && typeof ack.messageId === 'string';
  sendMediaOk.add(ok, { transport: from.transport });
  if (ok) sendMediaAckMs.add(ackedAt - sentAt, { transport: from.transport });
  else console.warn(`send_media failed (${from.transport}@${from.node}): ${JSON.stringify(ack)}`);
  const tags = Object.assign(routeTags(from, to), { receiver: to.transport });
  mediaDelivered.add(Boolean(msg), tags);
  if (!msg) return console.warn(`media_received missing after ${RECEIVE_TIMEOUT_MS} ms`);
  mediaReceiveMs.add(receivedAt - sentAt, tags);
  check(msg, {
    'media_received: the acked message': (m) => !ok || m.messageId === ack.messageId,
    'media_received: an image with the uploaded file': (m) =>
      m.messageType === 'image' && Boolean(m.media) && m.media.fileId === media.fileId && m.senderId === from.user.id,
  });

  // The receiver fetches the file as a client would, through the edge under test: local
  // storage serves it there without a token (an absolute MEDIA_PUBLIC_URL names the same
  // path). An ImageKit URL points at the CDN, which is not the system under test: not fetched.
  const served = /^(?:https?:\/\/[^/]+)?(\/api\/media\/files\/[^?#]+)/.exec(String(msg.media.url));
  if (!served) return;
  const file = await http.asyncRequest('GET', `${BASE_URL}${served[1]}`, null, {
    responseType: 'binary',
    tags: { name: DOWNLOAD },
  });
  check(file, {
    'download: 200, the uploaded bytes': (r) =>
      r.status === 200 && r.body instanceof ArrayBuffer && r.body.byteLength === PNG.length,
  });
}

export default async function () {
  if (!chat) chat = makeChat();
  const pair = await openPair(chat, [transportFor(2 * (__VU - 1)), transportFor(2 * (__VU - 1) + 1)]);
  if (!pair) return;
  const { a, b } = pair;
  for (let n = 0; n < UPLOADS; n++) {
    const started = Date.now();
    const [from, to] = n % 2 === 0 ? [a, b] : [b, a];
    await shareImage(chat.chatId, from, to, n);
    if (!a.closed && !b.closed) await delay(UPLOAD_INTERVAL_MS - (Date.now() - started));
  }
  await Promise.all([a.close(), b.close()]);
}

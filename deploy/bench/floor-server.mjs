// The floor of any design of the send path on this machine: ONE Socket.IO process (the
// gateway's package and version) that speaks the same events as the gateway, stores each
// `send_message` as a message-shaped document (the shape the raw baseline writes), with the
// platform's group commit at message-api's default settings (alone, one insert at once; under
// load, one insertMany for the sends that waited), acknowledges it and emits `message_received`
// to the chat's room. No edge, no NATS, no Redis, no auth, no validation, no numbering, no
// events: what is left is Socket.IO, the driver and the store, so a platform with more parts
// cannot be faster than this.
// Usage (by fork, MONGO_URL in the environment): floor-server.mjs -> sends { port } once listening.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { MongoClient, ObjectId } from 'mongodb';
import { groupCommit } from '@chat/platform';
import { messageApiConfigSchema } from '@chat/message-api';
import { messageDoc } from './seed.mjs';

const require = createRequire(new URL('../../services/realtime-gateway/package.json', import.meta.url));
const { Server } = require('socket.io');

const client = await new MongoClient(process.env.MONGO_URL, { maxPoolSize: 64 }).connect();
const scratch = client.db().collection('bench_floor');
const users = [new ObjectId().toHexString(), new ObjectId().toHexString()];
let seq = 0;
const batching = messageApiConfigSchema.pick({ SEND_BATCH_MAX: true, SEND_QUEUE_MAX: true, SEND_BATCH_CONCURRENCY: true }).parse({});
const inserts = groupCommit({
  flush: async (docs) => {
    await scratch.insertMany(docs, { ordered: false });
    return docs;
  },
  maxBatch: batching.SEND_BATCH_MAX,
  maxQueued: batching.SEND_QUEUE_MAX,
  concurrency: batching.SEND_BATCH_CONCURRENCY,
});

const http = createServer();
const io = new Server(http);
io.on('connection', (socket) => {
  socket.on('join_chat', ({ chatId }, ack) => {
    socket.join(chatId);
    ack({ ok: true });
  });
  socket.on('send_message', async ({ chatId, content, clientMessageId }, ack) => {
    const doc = messageDoc({ chatId, senderId: users[0], receiverId: users[1], seq: ++seq, content, createdAt: new Date(), clientMessageId });
    await inserts.submit(doc);
    const messageId = doc._id.toHexString();
    ack({ ok: true, messageId });
    socket.to(chatId).emit('message_received', { messageId, chatId, content, clientMessageId, seq: doc.seq });
  });
});
http.listen(0, '127.0.0.1', () => process.send({ port: http.address().port }));
process.on('disconnect', async () => {
  await scratch.drop().catch(() => undefined);
  await client.close();
  process.exit(0);
});

// The store's own speed, the baseline of the send-path figures: one insertOne of a
// message-shaped document per call, straight from the driver, into a scratch collection of the
// same database on the same MongoDB-wire server the services use.
import { MongoClient, ObjectId } from 'mongodb';
import { messageDoc, seededContent } from './seed.mjs';
import { load } from './stats.mjs';

export async function openStore(mongoUrl) {
  const client = await new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5_000, maxPoolSize: 64 }).connect();
  const db = client.db();
  return { client, db, messages: db.collection('messages'), close: () => client.close() };
}

/**
 * insertOne/s and latency with `concurrency` in flight into `bench_scratch` (only the _id
 * index: the raw cost of one write on this server, whatever indexes the service chose).
 */
export async function rawInserts(db, { concurrency, total, seconds }) {
  const scratch = db.collection('bench_scratch');
  const chatId = new ObjectId().toHexString();
  const [a, b] = [new ObjectId().toHexString(), new ObjectId().toHexString()];
  let n = 0;
  const insert = () => {
    const seq = ++n;
    return scratch.insertOne(
      messageDoc({ chatId, senderId: a, receiverId: b, seq, content: seededContent(0, seq), createdAt: new Date(), clientMessageId: `raw-${concurrency}-${seq}` }),
    );
  };
  const result = await load({ total, seconds, concurrency, warmup: Math.min(100, total) }, insert);
  await scratch.drop().catch(() => undefined);
  return result;
}

// Measures FerretDB lookup latency on a large collection (see docs/operations.md, "The store: FerretDB",
// deploy/local/ferretdb-indexes.sql). Creates its own database, drops it at the end
// (KEEP=1 keeps it, to EXPLAIN queries in psql; drop it yourself then).
//   node deploy/local/ferretdb-index-bench.mjs [mongodb://127.0.0.1:27017] [docs=50000]
import { MongoClient, ObjectId } from 'mongodb';

const url = process.argv[2] ?? 'mongodb://127.0.0.1:27017';
const total = Number(process.argv[3] ?? 50_000);
const perChat = 25;
const rounds = 200;
const dbName = `ferretdb_index_bench_${process.pid}`;

const client = new MongoClient(url);
const db = client.db(dbName);
const col = db.collection('messages');

const stats = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2);
  return `median ${q(0.5)} ms, p95 ${q(0.95)} ms`;
};

async function time(label, n, fn) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  console.log(`${label.padEnd(34)} ${stats(ms)} (${n} calls)`);
}

try {
  const chats = Math.ceil(total / perChat);
  const ids = [];
  const t0 = performance.now();
  await col.createIndex({ chatId: 1, seq: -1 });
  for (let start = 0; start < total; start += 5000) {
    const docs = [];
    for (let i = start; i < Math.min(total, start + 5000); i++) {
      const _id = new ObjectId();
      ids.push(_id);
      docs.push({ _id, chatId: `chat-${i % chats}`, seq: Math.floor(i / chats), text: `message ${i} `.repeat(5) });
    }
    await col.insertMany(docs, { ordered: false });
  }
  console.log(`${dbName}: inserted ${total} documents (${chats} chats x ${perChat}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const pick = (i) => ids[(i * 7919) % ids.length];

  await time('findOne({_id})', rounds, async (i) => {
    if (!(await col.findOne({ _id: pick(i) }))) throw new Error('findOne found nothing');
  });
  await time(`find({chatId}) -> ${perChat} docs`, rounds, async (i) => {
    const n = (await col.find({ chatId: `chat-${(i * 31) % chats}` }).toArray()).length;
    if (n !== perChat) throw new Error(`find returned ${n} documents`);
  });
  await time('updateOne({_id}, {$set})', rounds, async (i) => {
    const r = await col.updateOne({ _id: pick(i) }, { $set: { edited: i } });
    if (r.matchedCount !== 1) throw new Error('updateOne matched nothing');
  });
  await time('insertOne', rounds, async (i) => {
    await col.insertOne({ chatId: `chat-new-${i}`, seq: 0, text: 'new message' });
  });
} finally {
  if (process.env.KEEP === '1') console.log(`kept database ${dbName}`);
  else await db.dropDatabase().catch((err) => console.error(`could not drop ${dbName}: ${err.message}`));
  await client.close();
}

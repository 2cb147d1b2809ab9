import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId, type Collection } from 'mongodb';
import { createLogger, redisLock, type KeyedLock } from '@chat/platform';
import { serviceUserEnv } from '@chat/testkit';
import { busMediaFiles, type MediaFiles } from '../src/clients/media-files.js';
import { ERASE_TOMBSTONES_MIGRATION, eraseLegacyTombstones } from '../src/data/migrate-erase-tombstones.js';
import { startWorld, uploadImage, type TestUser, type World } from './harness.js';
import { storedMessages } from './stored-messages.js';

let w: World;

beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w?.stop();
});

const collection = (name: string): Collection<any> => w.db.getClient().db(w.db.name).collection(name);
const logger = createLogger('erase-tombstones-test', 'silent');

/** The raw stored document, read with the driver (no codec, no defaults). */
async function storedDoc(id: ObjectId): Promise<Record<string, any>> {
  const [doc] = await w.stored({ _id: id });
  if (!doc) throw new Error(`message ${id.toHexString()} is not stored`);
  return doc;
}

/** A served media URL fetched through the edge (local storage answers a path under it). */
const fetchFile = (url: string) => fetch(url.startsWith('/') ? `${w.edgeUrl}${url}` : url);

/**
 * A chat as versions before the erasing delete left it: a text message and a media message
 * (its file really uploaded) deleted for everyone with their content and media still stored, a
 * live message, one bob hid for himself, and a tombstone holding nothing to erase. Inserted
 * directly, as those versions stored them.
 */
async function legacyChat(alice: TestUser, bob: TestUser) {
  const chatId = await w.chat(alice, bob);
  const file = await uploadImage(alice, chatId);
  const [text, media, live, hidden, bare] = storedMessages(chatId, 5, { from: () => alice.id, to: () => bob.id });
  const deletedAt = new Date();
  const docs = {
    text: { ...text!, content: 'legacy: the secret plan', deletedForEveryone: true, deletedAt },
    media: {
      ...media!,
      content: '', // caption-less, as the schema's default stored it
      messageType: 'image',
      media: { url: file.url, fileId: file.fileId, fileName: 'legacy-holiday.png', mimeType: 'image/png' },
      deletedForEveryone: true,
      deletedAt,
    },
    live: { ...live!, content: 'legacy: still said' },
    hidden: { ...hidden!, content: 'legacy: hidden from bob only', deletedBy: [new ObjectId(bob.id)] },
    // Holds nothing to erase: no content, and `media: null` is the schema's default, not a file.
    bare: (({ content: _, ...rest }) => ({ ...rest, deletedForEveryone: true, deletedAt }))(bare!),
  };
  await collection('messages').insertMany(Object.values(docs));
  return { chatId, file, docs };
}

/** Counts what a run asks for: media-service deletions and chat locks. */
function counting(lock: KeyedLock, media: MediaFiles) {
  const asked = { locks: 0, deletions: 0 };
  return {
    asked,
    lock: { run: (key, write) => (asked.locks++, lock.run(key, write)) } satisfies KeyedLock,
    media: { delete: (file) => (asked.deletions++, media.delete(file)) } satisfies MediaFiles,
  };
}

describe('messages deleted for everyone by earlier versions', () => {
  it('are erased when a replica starts: content and media gone, the file 404, other messages untouched', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const { file, docs } = await legacyChat(alice, bob);
    expect((await fetchFile(file.url)).status).toBe(200);
    await collection('migrations').deleteOne({ _id: ERASE_TOMBSTONES_MIGRATION });

    const replica = await w.addReplica(); // a start with the step not recorded as done runs it
    await replica.tombstonesErased;

    for (const tombstone of [docs.text, docs.media]) {
      const doc = await storedDoc(tombstone._id);
      expect(doc).not.toHaveProperty('content');
      expect(doc).not.toHaveProperty('media');
      const raw = JSON.stringify(doc);
      for (const said of ['legacy: ', 'legacy-holiday', file.url, file.fileId]) expect(raw).not.toContain(said);
      // The tombstone keeps everything else.
      expect({ ...doc, content: tombstone.content, media: tombstone.media }).toEqual(tombstone);
    }
    expect((await fetchFile(file.url)).status).toBe(404);
    expect(await storedDoc(docs.live._id)).toEqual(docs.live);
    expect(await storedDoc(docs.hidden._id)).toEqual(docs.hidden);
    expect(await storedDoc(docs.bare._id)).toEqual(docs.bare);
    expect(await collection('migrations').findOne({ _id: ERASE_TOMBSTONES_MIGRATION })).toMatchObject({
      updated: 2,
      doneAt: expect.any(Date),
    });

    // A second run, even forced, finds nothing: no tombstone matches again, no live message ever.
    const before = await w.stored({ chatId: docs.live.chatId });
    const spy = counting(redisLock(w.redis, 'message-change'), busMediaFiles(w.bus));
    const deps = { messages: collection('messages'), migrations: collection('migrations'), logger, ...spy };
    expect(await eraseLegacyTombstones(deps)).toBe(0); // recorded as done
    expect(await eraseLegacyTombstones(deps, { force: true })).toBe(0);
    expect(spy.asked).toEqual({ locks: 0, deletions: 0 });
    expect(await w.stored({ chatId: docs.live.chatId })).toEqual(before);
  });

  it('with media-service down, a run fails unrecorded (files kept by their tombstones) and a later run finishes', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const { file, docs } = await legacyChat(alice, bob);
    await collection('migrations').deleteOne({ _id: ERASE_TOMBSTONES_MIGRATION });

    w.media.process.kill('SIGSTOP');
    try {
      const replica = await w.addReplica(); // starts although media-service does not answer
      await replica.tombstonesErased; // the file's deletion timed out
      expect(await collection('migrations').findOne({ _id: ERASE_TOMBSTONES_MIGRATION })).toBeNull();
      // The media tombstone keeps its media, so the next run finds its file; the text one is erased.
      expect((await storedDoc(docs.media._id)).media).toEqual(docs.media.media);
      expect(await storedDoc(docs.text._id)).not.toHaveProperty('content');
    } finally {
      w.media.process.kill('SIGCONT');
    }

    const later = await w.addReplica();
    await later.tombstonesErased;
    const doc = await storedDoc(docs.media._id);
    expect(doc).not.toHaveProperty('media');
    expect(doc).not.toHaveProperty('content');
    expect((await fetchFile(file.url)).status).toBe(404);
    expect(await collection('migrations').findOne({ _id: ERASE_TOMBSTONES_MIGRATION })).toMatchObject({ updated: 1 });
    expect(await storedDoc(docs.live._id)).toEqual(docs.live);
  });

  it("are erased by the migrate command too, which reaches media-service over NATS with message-api's user", async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const { file, docs } = await legacyChat(alice, bob);
    const env = { PATH: process.env.PATH ?? '', ...w.infra.env, ...serviceUserEnv('message-api') };
    const cli = 'services/message-api/dist/entry/cli/migrate.js';

    await promisify(execFile)(process.execPath, [cli, 'erase-tombstones', '--force'], { env });

    expect(await storedDoc(docs.media._id)).not.toHaveProperty('media');
    expect(await storedDoc(docs.text._id)).not.toHaveProperty('content');
    expect((await fetchFile(file.url)).status).toBe(404);
    expect(await storedDoc(docs.live._id)).toEqual(docs.live);
    // An unknown step name is refused before anything runs.
    await expect(promisify(execFile)(process.execPath, [cli, 'erase-everything'], { env })).rejects.toMatchObject({
      code: 2,
    });
  });

  it("writes a tombstone only under its chat's change lock (FerretDB loses concurrent updates of one document)", async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const { chatId, docs } = await legacyChat(alice, bob);
    // Another replica's lock: the two meet in Redis, as an edit on one replica and the migration on another.
    const held = redisLock(w.redis, 'message-change');
    const deps = {
      messages: collection('messages'),
      migrations: collection('migrations'),
      lock: redisLock(w.redis, 'message-change'),
      media: busMediaFiles(w.bus),
      logger,
    };
    let run: Promise<number> | undefined;
    await held.run(chatId, async () => {
      run = eraseLegacyTombstones(deps, { force: true });
      // A writer holding the lock (an edit, a reaction) sees the tombstone as it was throughout
      // (held well within the lock's 2 s wait, so the migration then gets it).
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await storedDoc(docs.text._id)).content).toBe(docs.text.content);
    });
    expect(await run).toBe(2);
    expect(await storedDoc(docs.text._id)).not.toHaveProperty('content');
  });
});

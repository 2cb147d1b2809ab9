import type { Model } from 'mongoose';
import type { MediaFileRecord } from '../domain/media-file.js';
import type { MediaFileDoc } from './media-file-documents.js';

const toRecord = (doc: MediaFileDoc & { _id?: unknown }): MediaFileRecord => {
  const { _id, ...rest } = doc;
  void _id;
  return { ...rest, duration: rest.duration ?? null };
};

/** The record of each uploaded file: who uploaded it into which chat, so access can be enforced. */
export function mediaFileRepository(model: Model<MediaFileDoc>) {
  return {
    async insert(record: MediaFileRecord): Promise<void> {
      await model.create(record);
    },
    async findByFileId(fileId: string): Promise<MediaFileRecord | null> {
      // fileId is a validated string; the filter never takes an object from a client.
      const doc = await model.findOne({ fileId: { $eq: fileId } }).lean<MediaFileDoc>();
      return doc ? toRecord(doc) : null;
    },
    /** The file only if it was uploaded into `chatId` by `uploaderId` (what `send_media` may carry). */
    async findOwned(fileId: string, chatId: string, uploaderId: string): Promise<MediaFileRecord | null> {
      const doc = await model
        .findOne({ fileId: { $eq: fileId }, chatId: { $eq: chatId }, uploaderId: { $eq: uploaderId } })
        .lean<MediaFileDoc>();
      return doc ? toRecord(doc) : null;
    },
    async deleteByFileId(fileId: string): Promise<boolean> {
      const res = await model.deleteOne({ fileId: { $eq: fileId } });
      return res.deletedCount === 1;
    },
  };
}
export type MediaFileRepository = ReturnType<typeof mediaFileRepository>;

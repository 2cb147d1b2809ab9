import type { Model } from 'mongoose';
import type { MediaFileRecord } from '../domain/media-file.js';
import type { MediaFileDoc } from './media-file-documents.js';

const toRecord = (doc: MediaFileDoc & { _id?: unknown }): MediaFileRecord => {
  const { _id, ...rest } = doc;
  void _id;
  // A record without the field predates attachment tracking: it is kept like an attached one.
  return { ...rest, duration: rest.duration ?? null, attached: rest.attached !== false };
};

/** The record of each uploaded file: who uploaded it into which chat, so access can be enforced. */
export class MediaFileRepository {
  constructor(private readonly model: Model<MediaFileDoc>) {}

  async insert(record: MediaFileRecord): Promise<void> {
    await this.model.create(record);
  }

  async findByFileId(fileId: string): Promise<MediaFileRecord | null> {
    // fileId is a validated string; the filter never takes an object from a client.
    const doc = await this.model.findOne({ fileId: { $eq: fileId } }).lean<MediaFileDoc>();
    return doc ? toRecord(doc) : null;
  }

  /** The file only if it was uploaded into `chatId` by `uploaderId` (what `send_media` may carry). */
  async findOwned(fileId: string, chatId: string, uploaderId: string): Promise<MediaFileRecord | null> {
    const doc = await this.model
      .findOne({ fileId: { $eq: fileId }, chatId: { $eq: chatId }, uploaderId: { $eq: uploaderId } })
      .lean<MediaFileDoc>();
    return doc ? toRecord(doc) : null;
  }

  /** Records that a message carries the file (idempotent), so the sweep keeps it. */
  async markAttached(fileId: string): Promise<void> {
    await this.model.updateOne({ fileId: { $eq: fileId }, attached: false }, { $set: { attached: true } });
  }

  /** The bytes `uploaderId` stores: the sum over their records (deleted files no longer count). */
  async storedBytesOf(uploaderId: string): Promise<number> {
    const [row] = await this.model.aggregate<{ bytes: number }>([
      { $match: { uploaderId: { $eq: uploaderId } } },
      { $group: { _id: null, bytes: { $sum: '$fileSize' } } },
    ]);
    return row?.bytes ?? 0;
  }

  /** Up to `limit` uploads no message carries, made before `cutoff`. */
  async findUnattachedBefore(cutoff: Date, limit: number): Promise<MediaFileRecord[]> {
    const docs = await this.model
      .find({ attached: false, createdAt: { $lt: cutoff } })
      .limit(limit)
      .lean<MediaFileDoc[]>();
    return docs.map(toRecord);
  }

  async deleteByFileId(fileId: string): Promise<boolean> {
    const res = await this.model.deleteOne({ fileId: { $eq: fileId } });
    return res.deletedCount === 1;
  }

  /** Deletes the record only while no message carries it; false when it is gone or attached. */
  async deleteUnattached(fileId: string): Promise<boolean> {
    const res = await this.model.deleteOne({ fileId: { $eq: fileId }, attached: false });
    return res.deletedCount === 1;
  }
}

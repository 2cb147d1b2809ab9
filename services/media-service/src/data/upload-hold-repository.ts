import { Types, type Model } from 'mongoose';
import type { UploadHoldDoc } from './upload-hold-documents.js';

/** Holds are only inserted and deleted whole (never updated), which FerretDB does atomically too. */
export class UploadHoldRepository {
  constructor(private readonly model: Model<UploadHoldDoc>) {}

  /** Writes a hold of `bytes` for `uploaderId` that counts until `expiresAt`; answers its id. */
  async add(uploaderId: string, bytes: number, expiresAt: Date): Promise<string> {
    const doc = await this.model.create({ uploaderId, bytes, expiresAt });
    return doc._id.toHexString();
  }

  /** The bytes `uploaderId`'s live holds reserve; expired ones are deleted on the way. */
  async heldBytesOf(uploaderId: string, now: Date): Promise<number> {
    const holds = await this.model.find({ uploaderId: { $eq: uploaderId } }).lean<UploadHoldDoc[]>();
    const expired = holds.filter((h) => h.expiresAt <= now);
    // One by _id each: FerretDB serves an _id equality from its index, not an `$in`.
    await Promise.all(expired.map((h) => this.model.deleteOne({ _id: { $eq: h._id } })));
    return holds.filter((h) => h.expiresAt > now).reduce((sum, h) => sum + h.bytes, 0);
  }

  async remove(id: string): Promise<void> {
    await this.model.deleteOne({ _id: { $eq: new Types.ObjectId(id) } });
  }
}

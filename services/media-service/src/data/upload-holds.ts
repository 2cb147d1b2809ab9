import { Schema, Types, type Connection, type Model } from 'mongoose';

/**
 * Bytes an upload in progress has reserved against its uploader's storage quota, from just
 * before its file goes to the storage until its record is written (then the record counts).
 * A hold left by a replica that died mid-upload stops counting at `expiresAt`.
 */
export interface UploadHoldDoc {
  _id: Types.ObjectId;
  uploaderId: string;
  bytes: number;
  expiresAt: Date;
}

const uploadHoldSchema = new Schema<UploadHoldDoc>(
  {
    uploaderId: { type: String, required: true },
    bytes: { type: Number, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'media_upload_holds', versionKey: false, strict: 'throw' },
);
// A user's holds (summed for each quota decision; a user has a few at most).
uploadHoldSchema.index({ uploaderId: 1 });

export function uploadHoldModel(conn: Connection): Model<UploadHoldDoc> {
  return conn.model<UploadHoldDoc>('UploadHold', uploadHoldSchema);
}

/** Holds are only inserted and deleted whole (never updated), which FerretDB does atomically too. */
export function uploadHoldRepository(model: Model<UploadHoldDoc>) {
  return {
    async add(uploaderId: string, bytes: number, expiresAt: Date): Promise<string> {
      const doc = await model.create({ uploaderId, bytes, expiresAt });
      return doc._id.toHexString();
    },
    /** The bytes `uploaderId`'s live holds reserve; expired ones are deleted on the way. */
    async heldBytesOf(uploaderId: string, now: Date): Promise<number> {
      const holds = await model.find({ uploaderId: { $eq: uploaderId } }).lean<UploadHoldDoc[]>();
      const expired = holds.filter((h) => h.expiresAt <= now);
      // One by _id each: FerretDB serves an _id equality from its index, not an `$in`.
      await Promise.all(expired.map((h) => model.deleteOne({ _id: { $eq: h._id } })));
      return holds.filter((h) => h.expiresAt > now).reduce((sum, h) => sum + h.bytes, 0);
    },
    async remove(id: string): Promise<void> {
      await model.deleteOne({ _id: { $eq: new Types.ObjectId(id) } });
    },
  };
}
export type UploadHoldRepository = ReturnType<typeof uploadHoldRepository>;

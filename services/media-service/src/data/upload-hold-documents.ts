import { Schema, type Connection, type Model, type Types } from 'mongoose';

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

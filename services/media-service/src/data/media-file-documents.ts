import { Schema, type Connection, type Model } from 'mongoose';
import { mediaMessageTypes } from '@chat/contracts';
import type { MediaFileRecord } from '../domain/media-file.js';

/** The stored document is the record itself (no `_id` beyond the driver's own). */
export type MediaFileDoc = MediaFileRecord;

const mediaFileSchema = new Schema<MediaFileDoc>(
  {
    fileId: { type: String, required: true },
    chatId: { type: String, required: true },
    uploaderId: { type: String, required: true },
    url: { type: String, required: true },
    fileName: { type: String, required: true },
    fileSize: { type: Number, required: true },
    mimeType: { type: String, required: true },
    messageType: { type: String, required: true, enum: mediaMessageTypes },
    duration: { type: Number, default: null },
    storage: { type: String, required: true, enum: ['local', 'imagekit'] },
    storageKey: { type: String, required: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
    // Records from before attachment was tracked have no field: they count as attached (kept).
    attached: { type: Boolean, required: true, default: false },
  },
  { collection: 'media_files', versionKey: false, strict: 'throw' },
);

// Every lookup (metadata, delete, media.file.check, serving a local file) is by fileId.
mediaFileSchema.index({ fileId: 1 }, { unique: true });
// A user's uploads, newest first (the bytes a user stores, for the storage quota).
mediaFileSchema.index({ uploaderId: 1, createdAt: -1 });
// The sweep's lookup of uploads no message carries (attached: false leads: only those rows are read).
mediaFileSchema.index({ attached: 1, createdAt: 1 });

export function mediaFileModel(conn: Connection): Model<MediaFileDoc> {
  return conn.model<MediaFileDoc>('MediaFile', mediaFileSchema);
}

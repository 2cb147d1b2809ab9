import { z } from 'zod';
import { objectId } from './common.js';

/** What media-service answers for an uploaded file (endpoint 14's `data`). */
export interface UploadedFile {
  url: string;
  fileId: string;
  fileName: string;
  fileSize: number;
  mimeType: string;
  messageType: 'image' | 'video' | 'file';
  duration?: number;
  uploadedAt: string;
}

export const uploadFields = z.object({ chatId: objectId });
export const deleteMediaBody = z.object({ fileId: z.string().min(1).max(200) });
export const fileIdParams = z.object({ fileId: z.string().min(1).max(200) });

import type { AppError } from '@chat/platform';
import type { MediaMessageType } from './file-kind.js';

/** An upload that streamed completely into a temporary file and passed the type and size checks. */
export interface StagedFile {
  /** The temporary file; the caller removes it after `store`, whatever happened. */
  path: string;
  size: number;
  fileName: string;
  mimeType: string;
  ext: string;
  messageType: MediaMessageType;
  duration?: number;
}

/** What staging made of one uploaded file: the staged file, or why it was refused. */
export interface StagingResult {
  originalName: string;
  staged?: StagedFile;
  rejection?: AppError;
}

import type { MediaMessageType } from './file-kind.js';

export type StorageKind = 'local' | 'imagekit';

/** An uploaded file: who uploaded it into which chat (so access can be enforced), and where it is kept. */
export interface MediaFileRecord {
  fileId: string;
  chatId: string;
  uploaderId: string;
  url: string;
  fileName: string;
  fileSize: number;
  mimeType: string;
  messageType: MediaMessageType;
  duration: number | null;
  storage: StorageKind;
  /** Where the storage keeps it: the local file name, or ImageKit's fileId. */
  storageKey: string;
  createdAt: Date;
  /**
   * Whether a message carries it (set when message-api's `media.file.check` for a send passes).
   * An upload never attached is removed once MEDIA_UNATTACHED_TTL_MS has passed (see retention.ts).
   */
  attached: boolean;
}

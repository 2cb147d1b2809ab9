import type { MediaFileRecord, StorageKind } from '../../domain/media-file.js';
import type { StagedFile } from '../../domain/staged-file.js';

export interface StoredObject {
  /** The id clients use (`fileId` in the API). */
  fileId: string;
  /** The storage's own key: the local file name or ImageKit's fileId. */
  storageKey: string;
  url: string;
}

/** ImageKit's client-side upload signature (endpoint 16). */
export interface UploadToken {
  token: string;
  expire: number;
  signature: string;
  publicKey: string;
  urlEndpoint: string;
}

/** Where media lives: ImageKit when configured, else a local volume served through the edge. */
export interface MediaStorage {
  readonly kind: StorageKind;
  store(file: StagedFile, target: { chatId: string }): Promise<StoredObject>;
  /** Removes the object; an object that is already gone is not an error. */
  remove(record: MediaFileRecord): Promise<void>;
  /** What the storage knows about the object (ImageKit's metadata, or the local file's). */
  metadata(record: MediaFileRecord): Promise<Record<string, unknown>>;
  /** The client-upload signature, or undefined when the storage has no client uploads. */
  uploadToken(): UploadToken | undefined;
}

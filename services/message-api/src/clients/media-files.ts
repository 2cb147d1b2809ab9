import { mediaFileDelete } from '@chat/contracts';
import type { Bus } from '@chat/platform';

/** What message-api asks media-service to do with files (the bus in production). */
export interface MediaFiles {
  /** Deletes a file `uploaderId` uploaded into `chatId`; one already gone is no error. Throws while media-service cannot. */
  delete(file: { fileId: string; chatId: string; uploaderId: string }): Promise<void>;
}

export const busMediaFiles = (bus: Bus): MediaFiles => ({
  async delete(file) {
    await bus.request(mediaFileDelete, file, { userId: file.uploaderId });
  },
});

import { describe } from 'vitest';
import { fileCases } from './file-cases.js';
import { useMediaWorld } from './media-world.js';
import { nameCases } from './name-cases.js';
import { uploadCases } from './upload-cases.js';

/**
 * The media-service end-to-end suite: real multipart requests through the edge, the real
 * chat-api answering chat.access.check, and one storage implementation (local, or ImageKit
 * through the fake). Both test files run this same suite.
 */
export function mediaSuite(kind: 'local' | 'imagekit') {
  describe(`media-service through the edge, ${kind} storage`, () => {
    const w = useMediaWorld(kind);
    uploadCases(w);
    fileCases(w);
    nameCases(w);
  });
}

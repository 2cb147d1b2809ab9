/**
 * Who may do what with an uploaded file: the uploader always; a participant of the file's
 * chat may read its metadata; only the uploader may delete. Anyone else learns nothing
 * (not found), so file ids cannot be probed.
 */
export type FileAction = 'metadata' | 'delete';
export type FileAccess = 'allowed' | 'forbidden' | 'not_found';

export function decideFileAccess(action: FileAction, isUploader: boolean, isParticipant: boolean): FileAccess {
  if (isUploader) return 'allowed';
  if (!isParticipant) return 'not_found';
  return action === 'metadata' ? 'allowed' : 'forbidden';
}

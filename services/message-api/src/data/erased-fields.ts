/**
 * What a delete for everyone removes from the stored message (an `$unset`): its text, and its
 * media with the file's name and URL. The tombstone keeps ids, numbers and times. Shared by the
 * delete and the migration that erases tombstones left by earlier versions.
 */
export const ERASED_FIELDS = { content: '', media: '' } as const;

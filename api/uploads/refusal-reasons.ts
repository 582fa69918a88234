/**
 * Stable reason codes for a file that is not stored, with the plain meaning of
 * each. Clients may switch on these; never rename one.
 */
export const REFUSAL_REASONS = {
  empty_file: 'the file has no bytes',
  invalid_filename: 'nothing is left of the file name after removing path parts and control characters',
  unsupported_extension: 'the file name does not end in an accepted extension',
  type_mismatch: 'the bytes are not of the type the extension names',
  truncated_file: 'the file ends before its format says it should: cut short in transfer or on disk',
  archive_too_large:
    'a ZIP-based document (DOCX, EPUB) whose table of contents declares more than the archive limits (max_archive_uncompressed_mb, max_archive_ratio, max_archive_entries): the whole request is refused with a 413 naming the limit',
  batch_refused: 'the file was fine but atomic=true and another file of the request was refused',
} as const;

export type RefusalReason = keyof typeof REFUSAL_REASONS;

/** Why a file counted as a duplicate: its bytes are already in the collection, or earlier in the same request. */
export type DuplicateReason = 'duplicate_in_collection' | 'duplicate_in_request';

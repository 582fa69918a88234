import type { ZipEntry } from './zip-directory.ts';

/** How far a ZIP-based document (DOCX, EPUB) may unpack: config max_archive_uncompressed_mb, max_archive_ratio, max_archive_entries. */
export interface ArchiveLimits {
  /** Bytes all entries together may inflate to. */
  maxUncompressedBytes: number;
  /** Uncompressed over compressed size, for an entry of RATIO_FLOOR_BYTES or more. */
  maxRatio: number;
  maxEntries: number;
}

/** The limits as config names them. */
export function archiveLimitsOf(config: {
  max_archive_uncompressed_mb: number;
  max_archive_ratio: number;
  max_archive_entries: number;
}): ArchiveLimits {
  return {
    maxUncompressedBytes: config.max_archive_uncompressed_mb * 1024 * 1024,
    maxRatio: config.max_archive_ratio,
    maxEntries: config.max_archive_entries,
  };
}

/** config/default.yaml's values, for callers without a config (tools, tests of extraction alone). */
export const DEFAULT_ARCHIVE_LIMITS = archiveLimitsOf({
  max_archive_uncompressed_mb: 512,
  max_archive_ratio: 100,
  max_archive_entries: 10_000,
});

/** Below this an entry's ratio is not judged: a small file of repeated markup is harmless whatever it compresses to. */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

/** A limit an archive breaks: the config key, the allowed and the actual value (bytes for the size, as max_file_size_mb's 413 gives them), and a sentence. */
export interface ArchiveLimitBreach {
  limit: 'max_archive_uncompressed_mb' | 'max_archive_ratio' | 'max_archive_entries';
  allowed: number;
  actual: number;
  message: string;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.ceil((bytes / MB) * 10) / 10;

/**
 * Judges an archive by what its central directory declares: how many
 * entries, how much they inflate to together, and each big entry's
 * compression ratio. The first limit broken, or undefined.
 */
export function archiveLimitBreach(
  entryCount: number,
  entries: readonly ZipEntry[],
  limits: ArchiveLimits,
): ArchiveLimitBreach | undefined {
  if (entryCount > limits.maxEntries) {
    return {
      limit: 'max_archive_entries',
      allowed: limits.maxEntries,
      actual: entryCount,
      message: `the archive holds ${entryCount} entries, more than max_archive_entries (${limits.maxEntries})`,
    };
  }
  const total = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  if (total > limits.maxUncompressedBytes) {
    return {
      limit: 'max_archive_uncompressed_mb',
      allowed: limits.maxUncompressedBytes,
      actual: total,
      message: `the archive declares ${total} bytes (${mb(total)} MB) once unpacked, more than max_archive_uncompressed_mb (${limits.maxUncompressedBytes / MB} MB)`,
    };
  }
  for (const entry of entries) {
    if (entry.uncompressedSize < RATIO_FLOOR_BYTES) continue;
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    if (ratio > limits.maxRatio) {
      const shown = Math.round(ratio);
      return {
        limit: 'max_archive_ratio',
        allowed: limits.maxRatio,
        actual: shown,
        message: `${entry.name} inflates ${shown} times (${entry.compressedSize} to ${entry.uncompressedSize} bytes), more than max_archive_ratio (${limits.maxRatio})`,
      };
    }
  }
  return undefined;
}

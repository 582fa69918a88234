import type { AllowedType } from './allowed-types.ts';
import type { StagedFile } from './staging-engine.ts';
import type { RefusalReason } from './refusal-reasons.ts';
import type { StagingArea } from '../../storage/document-storage.ts';
import { finishSniff, sniffStaged } from './sniff.ts';
import type { ArchiveLimitBreach, ArchiveLimits } from '../../common/archive-limits.ts';

export type FileVerdict =
  | { file: StagedFile; ok: true; type: AllowedType }
  | { file: StagedFile; ok: false; reason: RefusalReason; message: string; breach?: ArchiveLimitBreach };

/**
 * Judges each staged file on its own: a usable name, some bytes, bytes of the
 * type its name says, and for ZIP-based types a table of contents within the
 * archive limits.
 */
export async function checkStagedFiles(
  staging: StagingArea,
  files: StagedFile[],
  limits: ArchiveLimits,
): Promise<FileVerdict[]> {
  const verdicts: FileVerdict[] = [];
  for (const file of files) {
    if (file.filename === '') {
      verdicts.push({
        file,
        ok: false,
        reason: 'invalid_filename',
        message: `the name '${file.rawFilename.slice(0, 100)}' has nothing left after removing path parts and control characters`,
      });
    } else if (file.sizeBytes === 0) {
      verdicts.push({ file, ok: false, reason: 'empty_file', message: 'the file is empty (0 bytes)' });
    } else {
      // The start was judged as it streamed; only a ZIP's table of contents is read back.
      const staged = { staging, key: file.stagedKey, sizeBytes: file.sizeBytes };
      const sniffed = file.head
        ? await finishSniff(file.head, staged, limits)
        : await sniffStaged(staged, file.filename, limits);
      verdicts.push(sniffed.ok ? { file, ok: true, type: sniffed.type } : { file, ...sniffed });
    }
  }
  return verdicts;
}

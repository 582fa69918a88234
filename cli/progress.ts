import cliProgress from 'cli-progress';
import type { BatchFileResult, UploadProgress } from '../api/client/uploads.ts';

export interface UploadReporter {
  progress(progress: UploadProgress): void;
  fileDone(result: BatchFileResult, progress: UploadProgress): void;
  stop(): void;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/**
 * On a terminal: one bar with files and bytes done, rate and ETA. Elsewhere
 * (pipes, logs, CI): one plain line per finished file. `--json`: silent, so
 * stdout stays one JSON document.
 */
export function uploadReporter(mode: { json: boolean; stream: NodeJS.WriteStream }): UploadReporter {
  if (mode.json) return { progress() {}, fileDone() {}, stop() {} };
  if (!mode.stream.isTTY) {
    return {
      progress() {},
      fileDone(result, progress) {
        const detail = result.reason ? ` (${result.reason}${result.message ? `: ${result.message}` : ''})` : result.document_id ? ` ${result.document_id}` : '';
        mode.stream.write(`[${progress.filesDone}/${progress.filesTotal}] ${result.outcome} ${result.filename}${detail}\n`);
      },
      stop() {},
    };
  }
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: mode.stream,
      format: '{bar} {percentage}% | {files} files | {bytesDone}/{bytesTotal} | {rate}/s | ETA {etaText}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let last: UploadProgress | undefined;
  const payload = (progress: UploadProgress) => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = progress.bytesSent / seconds;
    const eta = rate > 0 ? Math.round((progress.bytesTotal - progress.bytesSent) / rate) : 0;
    return {
      files: `${progress.filesDone}/${progress.filesTotal}`,
      bytesDone: formatBytes(progress.bytesSent),
      bytesTotal: formatBytes(progress.bytesTotal),
      rate: formatBytes(rate),
      etaText: `${eta}s`,
    };
  };
  return {
    progress(progress) {
      if (!last) bar.start(Math.max(progress.bytesTotal, 1), 0, payload(progress));
      last = progress;
      bar.update(progress.bytesSent, payload(progress));
    },
    fileDone(_result, progress) {
      // Per-file outcomes go in the table at the end; the bar only moves.
      this.progress(progress);
    },
    stop() {
      if (last) bar.stop();
    },
  };
}

import cliProgress from 'cli-progress';
import type { BatchFileResult, UploadProgress } from '../api/client/uploads.ts';

export interface UploadReporter {
  progress(progress: UploadProgress): void;
  fileDone(result: BatchFileResult, progress: UploadProgress): void;
  stop(): void;
}

function formatBytes(bytes: number): string {
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
        const detail = result.reason
          ? ` (${result.reason}${result.message ? `: ${result.message}` : ''})`
          : result.document_id
            ? ` ${result.document_id}`
            : '';
        mode.stream.write(
          `[${progress.filesDone}/${progress.filesTotal}] ${result.outcome} ${result.filename}${detail}\n`,
        );
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

/** Where a followed task stands: documents done (processed + failed), failed, in flight, out of total when known. */
export interface WorkProgress {
  phase: string;
  done: number;
  failed: number;
  inFlight: number;
  total?: number;
  /** Anything else worth a glance, e.g. "2/3 collections ended". */
  note?: string;
}

export interface WorkReporter {
  update(progress: WorkProgress): void;
  /** A passing event (connection lost, reconnected): its own line, whatever the mode. */
  notice(text: string): void;
  stop(): void;
}

/**
 * On a terminal: one bar with documents done, failed, in flight, rate and
 * ETA. Elsewhere: one line each time the counts change. `--json`: silent
 * except for notices.
 */
export function workReporter(mode: { label: string; json: boolean; stream: NodeJS.WriteStream }): WorkReporter {
  const started = Date.now();
  let firstDone: number | undefined;
  const rateAndEta = (p: WorkProgress) => {
    firstDone ??= p.done;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? (p.done - firstDone) / seconds : 0;
    const eta = rate > 0 && p.total !== undefined ? Math.max(0, Math.round((p.total - p.done) / rate)) : undefined;
    return { rate: rate.toFixed(1), eta: eta === undefined ? '?' : formatSeconds(eta) };
  };
  const counts = (p: WorkProgress) =>
    `${p.done}${p.total !== undefined ? `/${p.total}` : ''} done, ${p.failed} failed, ${p.inFlight} in flight${p.note ? `, ${p.note}` : ''}`;

  if (mode.json || !mode.stream.isTTY) {
    let last = '';
    return {
      update(p) {
        if (mode.json) return;
        const line = `${p.phase}: ${counts(p)}`;
        if (line === last) return;
        last = line;
        const { rate, eta } = rateAndEta(p);
        mode.stream.write(`[${mode.label}] ${line} (${rate} documents/s, ETA ${eta})\n`);
      },
      notice: (text) => mode.stream.write(`[${mode.label}] ${text}\n`),
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: mode.stream,
      format: '{bar} {percentage}% | {counts} | {rate} docs/s | ETA {eta} | {phase}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    update(p) {
      const payload = { counts: counts(p), phase: p.phase, ...rateAndEta(p) };
      const total = Math.max(p.total ?? p.done, 1);
      if (!running) bar.start(total, p.done, payload);
      running = true;
      bar.setTotal(total);
      bar.update(p.done, payload);
    },
    notice(text) {
      // Below the bar, which redraws on its next update.
      mode.stream.write(`\n[${mode.label}] ${text}\n`);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

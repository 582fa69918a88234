import { open, type FileHandle } from 'node:fs/promises';

const READ_CHUNK_BYTES = 256 * 1024;

export interface MultipartFile {
  path: string;
  filename: string;
}

/** A name travels as `filename*` (RFC 5987) unless it is plain ASCII without quotes. */
function dispositionFor(field: string, filename: string): string {
  const name =
    /^[\x20-\x7e]*$/.test(filename) && !/["\\]/.test(filename)
      ? `filename="${filename}"`
      : `filename*=utf-8''${encodeURIComponent(filename)}`;
  return `Content-Disposition: form-data; name="${field}"; ${name}\r\nContent-Type: application/octet-stream\r\n\r\n`;
}

/**
 * A multipart/form-data body that reads its files one after another as the
 * request pulls: one 256 KiB chunk in memory and at most one open handle at a
 * time. `close()` releases that handle whatever state the stream is in; call
 * it when the request ends, however it ends.
 */
export class MultipartFileStream {
  readonly boundary = `----fileintel${crypto.randomUUID().replace(/-/g, '')}`;
  readonly stream: ReadableStream<Uint8Array>;
  private handle: FileHandle | undefined;
  private closed = false;

  constructor(
    field: string,
    files: MultipartFile[],
    textFields: Record<string, string>,
    onBytes: (file: MultipartFile, bytes: number) => void,
  ) {
    const iterator = this.parts(field, files, textFields, onBytes);
    this.stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          controller.error(error);
        }
      },
      cancel: () => this.close(),
    });
  }

  private async *parts(
    field: string,
    files: MultipartFile[],
    textFields: Record<string, string>,
    onBytes: (file: MultipartFile, bytes: number) => void,
  ): AsyncGenerator<Uint8Array> {
    const encoder = new TextEncoder();
    for (const [name, value] of Object.entries(textFields)) {
      yield encoder.encode(`--${this.boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
    }
    for (const file of files) {
      yield encoder.encode(`--${this.boundary}\r\n${dispositionFor(field, file.filename)}`);
      this.handle = await open(file.path, 'r');
      try {
        for (;;) {
          if (this.closed) return;
          const buffer = new Uint8Array(READ_CHUNK_BYTES);
          const { bytesRead } = await this.handle.read(buffer, 0, READ_CHUNK_BYTES, null);
          if (bytesRead === 0) break;
          onBytes(file, bytesRead);
          yield buffer.subarray(0, bytesRead);
        }
      } finally {
        await this.releaseHandle();
      }
      yield encoder.encode('\r\n');
    }
    yield encoder.encode(`--${this.boundary}--\r\n`);
  }

  get contentType(): string {
    return `multipart/form-data; boundary=${this.boundary}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.releaseHandle();
  }

  private async releaseHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => {});
  }
}

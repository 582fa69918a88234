import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { StorageUnavailableError } from './document-storage.ts';

export interface S3Settings {
  endpoint: string;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
  prefix: string;
  /** From FILEINTEL_S3_ACCESS_KEY_ID / FILEINTEL_S3_SECRET_ACCESS_KEY; absent = the AWS default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Network errors that mean the endpoint cannot be reached at all. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
]);
const REFUSED_CREDENTIALS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'ExpiredToken',
  'InvalidToken',
]);

/** One bucket (and key prefix) of an S3-compatible service, with its errors made plain. */
export class S3Bucket {
  readonly client: S3Client;
  readonly description: string;

  constructor(readonly settings: S3Settings) {
    this.client = new S3Client({
      endpoint: settings.endpoint || undefined,
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      credentials: settings.credentials,
      // S3-compatible servers (MinIO, rclone) do not all return checksums of ranged reads the way AWS does.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.description = `S3 bucket '${settings.bucket}' at ${settings.endpoint || `AWS ${settings.region}`}`;
  }

  get name(): string {
    return this.settings.bucket;
  }

  /** The full object key of a name under this store's prefix. */
  objectKey(name: string): string {
    return this.settings.prefix + name;
  }

  /** True for "no such object" (which callers may expect), never for a missing bucket. */
  isMissingObject(error: unknown): boolean {
    const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return failure.name === 'NoSuchKey' || (failure.name === 'NotFound' && failure.$metadata?.httpStatusCode === 404);
  }

  /** A failed call as an error that names the store, what was being done and why it failed. */
  failure(doing: string, error: unknown): Error {
    if (error instanceof StorageUnavailableError) return error;
    return new StorageUnavailableError(`${this.description}: ${doing} failed: ${this.reason(error)}`);
  }

  private reason(error: unknown): string {
    const failure = error as {
      name?: string;
      code?: string;
      message?: string;
      $metadata?: { httpStatusCode?: number };
    };
    if (failure.name === 'NoSuchBucket') return `the bucket '${this.settings.bucket}' does not exist`;
    if (REFUSED_CREDENTIALS.has(failure.name ?? '') || failure.$metadata?.httpStatusCode === 403) {
      const said =
        failure.name === 'Unknown'
          ? `HTTP ${failure.$metadata?.httpStatusCode}`
          : `${failure.name}: ${failure.message}`;
      return `the credentials were refused (${said}); check FILEINTEL_S3_ACCESS_KEY_ID and FILEINTEL_S3_SECRET_ACCESS_KEY`;
    }
    const code = failure.code ?? (failure as { cause?: { code?: string } }).cause?.code;
    if ((code && UNREACHABLE.has(code)) || failure.name === 'TimeoutError') {
      return `the endpoint cannot be reached (${code ?? failure.name}: ${failure.message})`;
    }
    if (error instanceof S3ServiceException)
      return `${failure.name} (HTTP ${failure.$metadata?.httpStatusCode}): ${failure.message}`;
    return failure.message ?? String(error);
  }

  /** Runs one call, turning any error but an expected missing object into a StorageUnavailableError. */
  async call<T>(doing: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (this.isMissingObject(error)) throw error;
      throw this.failure(doing, error);
    }
  }
}

import type { Config } from '../config/schema.ts';
import type { DocumentStorage, StagingArea } from './document-storage.ts';
import { LocalDirectoryStorage } from './local-storage.ts';
import { LocalStagingArea } from './staging.ts';

export type StorageConfig = Pick<
  Config,
  | 'storage_backend'
  | 'storage_dir'
  | 'staging_dir'
  | 's3_endpoint'
  | 's3_region'
  | 's3_bucket'
  | 's3_force_path_style'
  | 's3_prefix'
>;

/**
 * The document store and its staging area for the configured backend. The S3
 * secrets come only from the environment (FILEINTEL_S3_ACCESS_KEY_ID and
 * FILEINTEL_S3_SECRET_ACCESS_KEY); without them the AWS default chain applies.
 * The AWS SDK is loaded only for the s3 backend: it costs a process ~20 MB.
 */
export async function createStorage(
  config: StorageConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ storage: DocumentStorage; staging: StagingArea }> {
  if (config.storage_backend === 'local') {
    return {
      storage: new LocalDirectoryStorage(config.storage_dir),
      staging: new LocalStagingArea(config.staging_dir),
    };
  }
  const accessKeyId = env.FILEINTEL_S3_ACCESS_KEY_ID;
  const secretAccessKey = env.FILEINTEL_S3_SECRET_ACCESS_KEY;
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new Error(
      'set both FILEINTEL_S3_ACCESS_KEY_ID and FILEINTEL_S3_SECRET_ACCESS_KEY, or neither (the AWS default chain)',
    );
  }
  const [{ S3Bucket }, { S3DocumentStorage, S3StagingArea }] = await Promise.all([
    import('./s3-bucket.ts'),
    import('./s3-storage.ts'),
  ]);
  const bucket = new S3Bucket({
    endpoint: config.s3_endpoint,
    region: config.s3_region,
    bucket: config.s3_bucket,
    forcePathStyle: config.s3_force_path_style,
    prefix: config.s3_prefix,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
  });
  return { storage: new S3DocumentStorage(bucket), staging: new S3StagingArea(bucket) };
}

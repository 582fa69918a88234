import type { Config } from '../config/schema.ts';
import { LocalDirectoryStorage } from './local-storage.ts';
import { StagingArea } from './staging.ts';

export function createStorage(config: Pick<Config, 'storage_dir' | 'staging_dir'>) {
  return { storage: new LocalDirectoryStorage(config.storage_dir), staging: new StagingArea(config.staging_dir) };
}

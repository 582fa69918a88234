import { batchesApi } from './batches.ts';
import { analysisApi } from './analysis.ts';
import { collectionsApi } from './collections.ts';
import { documentsApi } from './documents.ts';
import { ApiHttp, type ClientOptions } from './http.ts';
import { queryApi } from './query.ts';
import { searchApi } from './search.ts';
import { tasksApi } from './tasks.ts';
import { uploadsApi } from './uploads.ts';

export { ApiClientError, isRetryable, type ClientOptions } from './http.ts';

/**
 * The typed FileIntel client, used by the CLI and by callers' scripts. Each
 * area of the API is one property, built in its own file.
 */
export class FileIntelClient {
  readonly http: ApiHttp;
  readonly collections: ReturnType<typeof collectionsApi>;
  readonly analysis: ReturnType<typeof analysisApi>;
  readonly documents: ReturnType<typeof documentsApi>;
  readonly batches: ReturnType<typeof batchesApi>;
  readonly tasks: ReturnType<typeof tasksApi>;
  readonly uploads: ReturnType<typeof uploadsApi>;
  readonly search: ReturnType<typeof searchApi>['search'];
  readonly query: ReturnType<typeof queryApi>;

  constructor(options: ClientOptions = {}) {
    this.http = new ApiHttp(options);
    this.collections = collectionsApi(this.http);
    this.analysis = analysisApi(this.http);
    this.documents = documentsApi(this.http);
    this.batches = batchesApi(this.http);
    this.tasks = tasksApi(this.http);
    this.uploads = uploadsApi(this.http);
    this.search = searchApi(this.http).search;
    this.query = queryApi(this.http);
  }

  health() {
    return this.http.request<{ status: string; checks: Record<string, { ok: boolean; error?: string }> }>(
      'GET',
      '/health',
    );
  }
}

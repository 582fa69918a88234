// The requests the original FileIntel CLI sends, transcribed from its HTTP
// client (TKontu/FileIntel, src/fileintel/cli/task_client.py) and commands
// (src/fileintel/cli/{collections,documents,tasks,query,main}.py): path, method,
// JSON body or multipart fields and query exactly as it builds them. Python
// `requests` sends form booleans as the strings it is given ("true"/"false")
// and the JSON null for None. Nothing here is the original's code.
import { field, file, postMultipart } from '../../fixtures/multipart.ts';
import { request, type JsonResponse } from '../../support/http.ts';

export interface OriginalClient {
  createCollection(name: string, description?: string): Promise<JsonResponse>;
  listCollections(): Promise<JsonResponse>;
  getCollection(identifier: string): Promise<JsonResponse>;
  deleteCollection(identifier: string): Promise<JsonResponse>;
  collectionStatus(identifier: string): Promise<JsonResponse>;
  uploadDocument(collection: string, filename: string, bytes: Buffer): Promise<JsonResponse>;
  uploadAndProcessDocument(collection: string, filename: string, bytes: Buffer): Promise<JsonResponse>;
  processCollection(collection: string, options?: Record<string, unknown>): Promise<JsonResponse>;
  getDocument(id: string): Promise<JsonResponse>;
  deleteDocument(id: string): Promise<JsonResponse>;
  documentChunks(id: string, limit?: number, offset?: number): Promise<JsonResponse>;
  exportDocument(id: string, includeMetadata?: boolean): Promise<Response>;
  taskStatus(id: string): Promise<JsonResponse>;
  taskResult(id: string): Promise<JsonResponse>;
  cancelTask(id: string, terminate?: boolean): Promise<JsonResponse>;
  listTasks(status?: string, limit?: number, offset?: number): Promise<JsonResponse>;
  taskMetrics(): Promise<JsonResponse>;
  batchCancel(taskIds: string[], terminate?: boolean): Promise<JsonResponse>;
  addDocuments(collection: string, filePaths: string[]): Promise<JsonResponse>;
  batchProcess(collectionIds: string[], workflowType?: string): Promise<JsonResponse>;
  queryCollection(
    collection: string,
    question: string,
    ragType?: string,
    includeChunks?: boolean,
  ): Promise<JsonResponse>;
  queryDocument(collection: string, document: string, question: string, includeChunks?: boolean): Promise<JsonResponse>;
}

export function originalClient(baseUrl: string): OriginalClient {
  const url = (endpoint: string) => `${baseUrl}/${endpoint}`;
  return {
    // create_collection: {"name"} plus "description" only when given.
    createCollection: (name, description) =>
      request('POST', url('collections'), description ? { name, description } : { name }),
    listCollections: () => request('GET', url('collections')),
    getCollection: (identifier) => request('GET', url(`collections/${identifier}`)),
    deleteCollection: (identifier) => request('DELETE', url(`collections/${identifier}`)),
    // collections status: _request("GET", "collections/{id}/processing-status")
    collectionStatus: (identifier) => request('GET', url(`collections/${identifier}/processing-status`)),
    // upload_document: one multipart part named "file", no other fields.
    uploadDocument: (collection, filename, bytes) =>
      postMultipart(url(`collections/${collection}/documents`), [file(filename, bytes, 'file')]),
    // upload_and_process_document (collections upload-and-process): one "files" part; build_graph is sent as "false" (its default).
    uploadAndProcessDocument: (collection, filename, bytes) =>
      postMultipart(url(`collections/${collection}/upload-and-process`), [
        file(filename, bytes, 'files'),
        field('process_immediately', 'true'),
        field('build_graph', 'false'),
        field('extract_metadata', 'true'),
        field('generate_embeddings', 'true'),
      ]),
    // process_collection (collections process, documents upload --process, documents batch-upload):
    processCollection: (collection, options = {}) =>
      request('POST', url(`collections/${collection}/process`), {
        collection_id: collection,
        operation_type: 'complete_analysis',
        build_graph: true,
        extract_metadata: true,
        generate_embeddings: true,
        parameters: options,
      }),
    getDocument: (id) => request('GET', url(`documents/${id}`)),
    deleteDocument: (id) => request('DELETE', url(`documents/${id}`)),
    documentChunks: (id, limit = 10, offset = 0) =>
      request('GET', url(`documents/${id}/chunks?limit=${limit}&offset=${offset}`)),
    // documents export: a plain GET (no client wrapper), include_metadata=true only with --metadata.
    exportDocument: (id, includeMetadata = false) =>
      fetch(url(`documents/${id}/export${includeMetadata ? '?include_metadata=true' : ''}`)),
    taskStatus: (id) => request('GET', url(`tasks/${id}/status`)),
    taskResult: (id) => request('GET', url(`tasks/${id}/result`)),
    // cancel_task: {"terminate", "reason": None}: the JSON null.
    cancelTask: (id, terminate = false) => request('POST', url(`tasks/${id}/cancel`), { terminate, reason: null }),
    // list_tasks: params {limit, offset} plus status when given (tasks list --state).
    listTasks: (status, limit = 20, offset = 0) =>
      request('GET', url(`tasks?limit=${limit}&offset=${offset}${status ? `&status=${status}` : ''}`)),
    taskMetrics: () => request('GET', url('tasks/metrics')),
    batchCancel: (taskIds, terminate = false) =>
      request('POST', url('tasks/batch/cancel'), { task_ids: taskIds, terminate }),
    // The original's incremental update (DocumentProcessingRequest).
    addDocuments: (collection, filePaths) =>
      request('POST', url(`collections/${collection}/documents/add`), { file_paths: filePaths }),
    // The original's BatchTaskSubmissionRequest: each task a TaskSubmissionRequest.
    batchProcess: (collectionIds, workflowType = 'parallel') =>
      request('POST', url('collections/batch-process'), {
        tasks: collectionIds.map((id) => ({
          collection_id: id,
          operation_type: 'complete_analysis',
          build_graph: true,
          extract_metadata: true,
          generate_embeddings: true,
          parameters: {},
        })),
        workflow_type: workflowType,
      }),
    // query collection (src/fileintel/cli/query.py): --type auto|vector|graph|global|local mapped to
    // search_type (auto → adaptive), --format default, --include-chunks false.
    queryCollection: (collection, question, ragType = 'auto', includeChunks = false) =>
      request('POST', url(`collections/${collection}/query`), {
        question,
        search_type: ragType === 'auto' ? 'adaptive' : ragType,
        answer_format: 'default',
        include_cited_chunks: includeChunks,
      }),
    // query document: search_type is always "vector".
    queryDocument: (collection, document, question, includeChunks = false) =>
      request('POST', url(`collections/${collection}/documents/${document}/query`), {
        question,
        search_type: 'vector',
        answer_format: 'default',
        include_cited_chunks: includeChunks,
      }),
  };
}

/** The original CLI stops waiting on these (wait_for_task_completion). */
export const CLI_STOP_STATES = ['SUCCESS', 'FAILURE', 'REVOKED'];

/** Polls the status the way the original `--wait` does, until a stop state. */
export async function waitLikeTheCli(client: OriginalClient, taskId: string, attempts = 600): Promise<JsonResponse> {
  for (let i = 0; i < attempts; i++) {
    const status = await client.taskStatus(taskId);
    if (status.status !== 200 || !status.body.success)
      throw new Error(`status check failed: ${JSON.stringify(status.body)}`);
    if (CLI_STOP_STATES.includes(status.body.data.status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`task ${taskId} never reached ${CLI_STOP_STATES.join('/')}`);
}

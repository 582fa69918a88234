import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

/**
 * The API's connection to Temporal. The SDK's default retries a failed call
 * ten times over ~20 s, which suits a worker; a person waiting on an HTTP
 * answer is better served by a few quick retries and a prompt 503.
 */
export function apiConnectionOptions(address: string) {
  return { address, interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }))] };
}

export function connectTemporalForApi(address: string): Promise<Connection> {
  return Connection.connect(apiConnectionOptions(address));
}

/**
 * A refusal as HTTP carries it: status, stable code, plain message, optional
 * details. The API throws one (ApiError) and the client receives one
 * (ApiClientError); each keeps its own class, so `instanceof` tells the sides apart.
 */
export class StatusError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HashingEmbeddingProvider } from '../../activities/embeddings/hashing.ts';

/** A request the fake received: its route and JSON body. */
export interface FakeOpenAiRequest {
  route: string;
  body: any;
}

/**
 * A local server on 127.0.0.1 speaking the OpenAI protocol's two routes the
 * service calls: `/chat/completions` (an answer that cites passage [1]) and
 * `/embeddings` (deterministic lexical vectors of `dimension`). A request
 * `hold` selects is not answered until `release()` (or the server closes),
 * so tests can cancel or kill what waits on it.
 */
export class FakeOpenAi {
  readonly requests: FakeOpenAiRequest[] = [];
  /** Requests held open: selected by this, answered on release. */
  hold: (request: FakeOpenAiRequest) => boolean = () => false;
  private held: (() => void)[] = [];
  private readonly embedder: HashingEmbeddingProvider;

  private constructor(
    private readonly server: http.Server,
    readonly dimension: number,
  ) {
    this.embedder = new HashingEmbeddingProvider(dimension, 100);
  }

  static async start(dimension = 64): Promise<FakeOpenAi> {
    const server = http.createServer();
    const fake = new FakeOpenAi(server, dimension);
    server.on('request', (req, res) => fake.handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  /** Requests to one route. */
  to(route: '/chat/completions' | '/embeddings'): FakeOpenAiRequest[] {
    return this.requests.filter((request) => request.route === route);
  }

  /** How many held requests wait now. */
  get waiting(): number {
    return this.held.length;
  }

  /** Answers every held request. */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }

  async close(): Promise<void> {
    this.hold = () => false;
    this.release();
    this.server.closeAllConnections();
    this.server.close();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      const route = (req.url ?? '').replace(/^\/v1/, '');
      const request = { route, body: JSON.parse(text || '{}') };
      this.requests.push(request);
      const answer = () => this.answer(request, res);
      if (this.hold(request)) this.held.push(answer);
      else answer();
    });
  }

  private answer(request: FakeOpenAiRequest, res: http.ServerResponse): void {
    if (res.destroyed) return;
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.route === '/embeddings') {
      const inputs: string[] = request.body.input;
      const data = inputs.map((input, index) => ({ index, embedding: this.embedder.vector(input) }));
      return send(200, { object: 'list', data, model: request.body.model });
    }
    if (request.route === '/chat/completions') {
      const content = `The passages say so [1]. (answered by ${request.body.model})`;
      return send(200, {
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        model: request.body.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      });
    }
    send(404, { error: { message: `no route ${request.route}` } });
  }
}

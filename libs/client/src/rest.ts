import { ChatError } from './errors.js';
import type {
  BulkUploadResult,
  Changes,
  ChatView,
  Envelope,
  MediaEnvelope,
  MessagesPage,
  PageOf,
  SearchPage,
  UploadToken,
  UploadedFile,
} from './types.js';

export interface RestOptions {
  /** The edge's origin, e.g. `http://127.0.0.1:8080`; `''` for the page's own origin. */
  baseUrl: string;
  token: () => Promise<string>;
  fetch?: typeof fetch;
  /** Called with every chat a response carries (the SDK reads unread counts from them). */
  onChats?: (chats: ChatView[], requestedAt: number) => void;
  /** Called after the caller deleted a chat (its history is gone for them). */
  onDeleted?: (chatId: string) => void;
  /** The clock `requestedAt` is read from (default Date.now). */
  stamp?: () => number;
}

export interface PageQuery {
  limit?: number;
  page?: number;
}
/** A file to upload: a `File` keeps its name; give `name` for a bare `Blob`. */
export type FileInput = Blob | { file: Blob; name: string };

type Query = Record<string, string | number | boolean | undefined>;

const queryString = (q: Query = {}): string => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
};
const enc = encodeURIComponent;

function appendFile(form: FormData, field: string, input: FileInput): void {
  if (input instanceof Blob) {
    const name = (input as Blob & { name?: unknown }).name;
    form.append(field, input, typeof name === 'string' && name ? name : 'file');
  } else form.append(field, input.file, input.name);
}

/**
 * Every REST route of the API (docs/api-guide.md), typed. Each call resolves with the response
 * body and rejects with a `ChatError` carrying the HTTP status and the API's code.
 * @example const { data: chats } = await client.rest.chats.active({ limit: 20 });
 */
export class RestClient {
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: RestOptions) {
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  readonly chats = {
    requests: (q?: PageQuery) => this.chatList(`/api/chats/requests${queryString({ ...q })}`),
    active: (q?: PageQuery) => this.chatList(`/api/chats/active${queryString({ ...q })}`),
    history: (userId: string, q?: PageQuery & { includeArchived?: boolean }) =>
      this.chatList(`/api/chats/user/${enc(userId)}/history${queryString({ ...q })}`),
    get: (chatId: string) => this.chat('GET', `/api/chats/${enc(chatId)}`),
    /** 201 when created, 200 with the pair's existing chat: `status` tells which. */
    orCreate: (recipientId: string) => this.chat('POST', '/api/chats/or-create', { recipientId }),
    accept: (chatId: string) => this.chat('POST', `/api/chats/${enc(chatId)}/accept`),
    reject: (chatId: string) => this.chat('POST', `/api/chats/${enc(chatId)}/reject`),
    block: (chatId: string) => this.chat('POST', `/api/chats/${enc(chatId)}/block`),
    unblock: (chatId: string) => this.chat('POST', `/api/chats/${enc(chatId)}/unblock`),
    /** Toggles the caller's archive flag; `data.isArchived` is the new state. */
    archive: (chatId: string) => this.chat('POST', `/api/chats/${enc(chatId)}/archive`),
    /** Hides the chat and its history for the caller only. */
    delete: async (chatId: string) => {
      const body = await this.request<{ status: number; message: string }>('DELETE', `/api/chats/${enc(chatId)}`);
      this.opts.onDeleted?.(chatId.toLowerCase());
      return body;
    },
  };

  readonly messages = {
    /** Newest first; `before` (older, newest first) or `after` (newer, oldest first) page by cursor. */
    list: (chatId: string, q?: PageQuery & { before?: string; after?: string }) =>
      this.request<MessagesPage>('GET', `/api/chats/${enc(chatId)}/messages${queryString({ ...q })}`),
    search: (chatId: string, q: PageQuery & { q: string; beforeSeq?: number }) =>
      this.request<SearchPage>('GET', `/api/chats/${enc(chatId)}/search${queryString({ ...q })}`),
    /** The catch-up feed: changes after `since` in `rev` order; call again with `data.rev` while `data.hasMore`. */
    changes: (chatId: string, q: { since?: number; limit?: number } = {}) =>
      this.request<Envelope<Changes>>('GET', `/api/chats/${enc(chatId)}/changes${queryString({ ...q })}`),
  };

  readonly media = {
    /** One file into a chat; then `send_media` it (ChatHandle.sendFile does both). */
    upload: (chatId: string, file: FileInput) => {
      const form = new FormData();
      form.append('chatId', chatId); // before the file: a refused chat costs no upload
      appendFile(form, 'file', file);
      return this.request<MediaEnvelope<UploadedFile>>('POST', '/api/media/upload-chat-media', form);
    },
    /** Up to 10 files; each fails on its own (`failed`), not the batch. */
    bulkUpload: (chatId: string, files: FileInput[]) => {
      const form = new FormData();
      form.append('chatId', chatId);
      for (const f of files) appendFile(form, 'files', f);
      return this.request<BulkUploadResult>('POST', '/api/media/bulk-upload', form);
    },
    uploadToken: () => this.request<MediaEnvelope<UploadToken>>('GET', '/api/media/get-upload-token'),
    metadata: (fileId: string) =>
      this.request<MediaEnvelope<Record<string, unknown>>>('GET', `/api/media/${enc(fileId)}/metadata`),
    delete: (fileId: string) =>
      this.request<{ status: number; message: string; success: true }>('POST', '/api/media/delete', { fileId }),
    /** A file's `url` made absolute against the edge (local storage answers relative urls). */
    fileUrl: (url: string) => (/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `${this.opts.baseUrl}${url}`),
  };

  private async chatList(path: string): Promise<PageOf<ChatView>> {
    const requestedAt = this.stamp();
    const body = await this.request<PageOf<ChatView>>('GET', path);
    this.opts.onChats?.(body.data, requestedAt);
    return body;
  }

  private async chat(method: string, path: string, json?: unknown): Promise<Envelope<ChatView>> {
    const requestedAt = this.stamp();
    const body = await this.request<Envelope<ChatView>>(method, path, json);
    this.opts.onChats?.([body.data], requestedAt);
    return body;
  }

  private stamp(): number {
    return this.opts.stamp?.() ?? Date.now();
  }

  /** Any route: JSON or FormData body; resolves with the parsed body of a 2xx. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.opts.token()}` };
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await this.fetchFn(`${this.opts.baseUrl}${path}`, { method, headers, body: payload });
    } catch (err) {
      throw new ChatError(`${method} ${path} failed: ${(err as Error).message}`, 'UNAVAILABLE');
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { message: text.slice(0, 200) };
    }
    if (!res.ok) throw ChatError.fromHttp(res.status, parsed, res.headers.get('retry-after'));
    return parsed as T;
  }
}

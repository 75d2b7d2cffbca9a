/**
 * A Server-Sent Events reader over a fetch body. EventSource cannot send an Authorization header,
 * so the stream is read with fetch and parsed here, following the WHATWG "event stream" rules:
 * lines end in CRLF, LF or CR; `:` starts a comment; a blank line dispatches the event.
 */

export interface ServerSentEvent {
  event: string;
  data: string;
  id?: string;
}

export interface SseParser {
  /** Feed decoded text; returns the events it completed. */
  push(text: string): ServerSentEvent[];
  /** The last `retry:` value in ms, if the server sent one. */
  readonly retry: number | undefined;
}

export function createSseParser(): SseParser {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let retry: number | undefined;
  let pendingCR = false;

  function line(text: string, out: ServerSentEvent[]) {
    if (text === '') {
      if (data.length) out.push({ event: event || 'message', data: data.join('\n'), id });
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  }

  return {
    push(text: string) {
      const out: ServerSentEvent[] = [];
      if (pendingCR && text.startsWith('\n')) text = text.slice(1); // a CRLF split across two chunks
      pendingCR = false;
      buffer += text;
      let match: RegExpExecArray | null;
      const breaks = /\r\n|\r|\n/g;
      let start = 0;
      while ((match = breaks.exec(buffer))) {
        if (match[0] === '\r' && match.index === buffer.length - 1) {
          pendingCR = true; // may be the first half of a CRLF
        }
        line(buffer.slice(start, match.index), out);
        start = match.index + match[0].length;
      }
      buffer = buffer.slice(start);
      return out;
    },
    get retry() {
      return retry;
    },
  };
}

/** The events of one response body, as they arrive. */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
  parser: SseParser = createSseParser(),
  signal?: AbortSignal,
): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  // fetch errors the body when its signal aborts, but a custom `fetch` option may not: cancel it here too
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal?.aborted) throw signal.reason;
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Stopping early (a final event, an abort) must release the connection.
    await reader.cancel().catch(() => undefined);
  }
}

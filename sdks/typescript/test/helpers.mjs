// A fetch that answers from a script and records what it was asked, for tests without a server.
export function scriptedFetch(answer) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    const call = { url: new URL(url), method: init.method ?? 'GET', headers: new Headers(init.headers), body: init.body, signal: init.signal };
    calls.push(call);
    return answer(call, calls.length - 1);
  };
  return { fetch, calls };
}

export function json(body, status = 200, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

export function apiError(status, code, headers = {}) {
  return json({ error: { code, message: code.replace(/_/g, ' '), details: {} } }, status, headers);
}

/** An event-stream response whose body is the given chunks. */
export function eventStream(...chunks) {
  const encoder = new TextEncoder();
  const body = new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

export function sse(event, data) {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

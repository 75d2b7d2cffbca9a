// A 429 from the live server is retried after its Retry-After and the call then succeeds. The key's
// minute is nearly over when this starts (the test picks such a key), so the wait is short. A
// recording fetch (the `fetch` option) shows what the server answered.
import { Loopwind } from '@loopwind/sdk';

const statuses = [];
const lw = new Loopwind({
  maxRetryWait: 65_000, // a whole minute, should every key's window have just begun
  fetch: async (input, init) => {
    const response = await fetch(input, init);
    statuses.push({ status: response.status, retryAfter: response.headers.get('retry-after'), at: Date.now() });
    return response;
  },
});
let calls = 0;
const started = Date.now();
while (!statuses.some((s) => s.status === 429) && calls < 25) {
  await lw.me.get(); // resolves: a 429 inside it is waited out and retried
  calls += 1;
}
console.log(JSON.stringify({ calls, statuses, ms: Date.now() - started }));

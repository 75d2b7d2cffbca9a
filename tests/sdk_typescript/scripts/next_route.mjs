// Calls the README's Next.js route handler (compiled to dist/next-route.js) the way Next.js does,
// with a Request whose headers and body come from argv[2] (a JSON file the test writes).
import { readFileSync } from 'node:fs';
import { POST } from '../dist/next-route.js';

const { url, body, headers } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = [];
for (const sent of [body, body.replace('job_', 'job_x')]) {
  const response = await POST(new Request(url, { method: 'POST', body: sent, headers }));
  results.push({ status: response.status, text: await response.text() });
}
console.log(JSON.stringify(results));

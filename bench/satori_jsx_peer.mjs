// Peer benchmark on the same JSX: loopwind's og-card-jsx component (its CommonJS modules, transpiled by
// loopwind's own Sucrase step and written to modules.json by bench/engine.py) rendered by Satori and then
// @resvg/resvg-js, in one Node process. Satori reads `tw` itself; fitText, which only loopwind has, returns
// the size loopwind computed, so both draw the same layout.
import { readFileSync } from "node:fs";
import satori from "satori";
import { Resvg } from "@resvg/resvg-js";

const [fontRegular, fontBold, modulesPath, propsJSON, fontSize, runs] = process.argv.slice(2);
const { modules, entry } = JSON.parse(readFileSync(modulesPath, "utf8"));
const fonts = [
  { name: "Noto Sans", data: readFileSync(fontRegular), weight: 400, style: "normal" },
  { name: "Noto Sans", data: readFileSync(fontBold), weight: 700, style: "normal" },
];
const jsx = (type, props, key) => ({ type, props, key });
const runtime = { jsx, jsxs: jsx, Fragment: Symbol.for("react.fragment") };

function resolve(from, spec) {
  const parts = from.split("/").slice(0, -1);
  for (const p of spec.split("/")) if (p === "..") parts.pop(); else if (p !== ".") parts.push(p);
  const base = parts.join("/");
  return [".tsx", ".ts", ".jsx", ".js", ""].map((e) => base + e).find((p) => p in modules);
}
function load(path, cache = {}) {
  if (cache[path]) return cache[path].exports;
  const module = (cache[path] = { exports: {} });
  const require = (spec) => (spec.startsWith("react") ? runtime : load(resolve(path, spec), cache));
  new Function("exports", "require", "module", modules[path])(module.exports, require, module);
  return module.exports;
}

const Template = load(entry).default;
const helpers = { fitText: () => Number(fontSize), image: (x) => x, tw: (...c) => c.filter(Boolean).join(" ") };
async function once() {
  const element = Template(JSON.parse(propsJSON), helpers);
  const svg = await satori(element, { width: 1200, height: 630, fonts });
  return new Resvg(svg, { fitTo: { mode: "original" } }).render().asPng();
}
for (let i = 0; i < 5; i++) await once();
const times = [];
for (let i = 0; i < Number(runs); i++) {
  const t = process.hrtime.bigint();
  await once();
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ median_ms: times[Math.floor(times.length / 2)], runs: times.length }));

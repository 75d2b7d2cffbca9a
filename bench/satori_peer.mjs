// Peer benchmark: the spec's stack (Satori + @resvg/resvg-js) rendering the same OG card.
// Run by bench/engine.py from a temporary folder where satori and @resvg/resvg-js were npm-installed.
import { readFileSync } from "node:fs";
import satori from "satori";
import { Resvg } from "@resvg/resvg-js";

const [fontRegular, fontBold, title, subtitle, runs] = process.argv.slice(2);
const fonts = [
  { name: "Noto Sans", data: readFileSync(fontRegular), weight: 400, style: "normal" },
  { name: "Noto Sans", data: readFileSync(fontBold), weight: 700, style: "normal" },
];
const h = (type, style, children) => ({ type, props: { style, children } });
const card = h("div", { display: "flex", flexDirection: "column", width: "100%", height: "100%", backgroundColor: "#020618",
  color: "white", padding: 80, justifyContent: "space-between", fontFamily: "Noto Sans" }, [
  h("div", { display: "flex", alignItems: "center" }, [
    h("div", { width: 16, height: 48, borderRadius: 9999, marginRight: 20, backgroundColor: "#f59e0b" }, []),
    h("span", { fontSize: 30, fontWeight: 700, color: "#cad5e2" }, "loopwind.dev"),
  ]),
  h("div", { display: "flex", flexDirection: "column" }, [
    h("h1", { fontSize: 72, fontWeight: 700, lineHeight: 1.25, margin: 0 }, title),
    h("p", { fontSize: 30, color: "#90a1b9", marginTop: 24, marginBottom: 0 }, subtitle),
  ]),
  h("div", { display: "flex" }, [h("div", { height: 8, width: 256, borderRadius: 9999, backgroundColor: "#f59e0b" }, [])]),
]);

async function once() {
  const svg = await satori(card, { width: 1200, height: 630, fonts });
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

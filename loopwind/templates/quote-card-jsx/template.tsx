// The quote card (an svg-engine template) as a component: the same layout with positioned elements, so
// Takumi draws the text itself (color emoji included; an inline <svg> would lose them). The wrapping that
// Jinja's wordwrap did is a few lines of JavaScript here.
type Props = { quote: string; author: string; background: string; accent: string };

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    for (let rest = word; rest; ) {
      const room = line ? width - line.length - 1 : width;
      if (rest.length <= room) {
        line = line ? `${line} ${rest}` : rest;
        rest = "";
      } else if (line) {
        lines.push(line);
        line = "";
      } else {
        lines.push(rest.slice(0, width)); // a word longer than a line is cut, as wordwrap(break_long_words)
        rest = rest.slice(width);
      }
    }
  }
  if (line) lines.push(line);
  return lines;
}

// Noto's ascent and descent (em): where a text baseline sits in a line box, to place text as SVG does.
const ASCENT = 1.069;
const DESCENT = 0.293;
const top = (baseline: number, size: number, lineHeight: number) =>
  baseline - ((lineHeight - ASCENT - DESCENT) / 2 + ASCENT) * size;

// Lines break where the svg version breaks them (by characters); a line of wide letters that would pass the
// card's right edge shrinks on its own (fitText, at most the common size), and the author line truncates.
export default function QuoteCard({ quote, author, background, accent }: Props, { fitText }) {
  const size = quote.length <= 90 ? 64 : quote.length <= 160 ? 52 : 42;
  const perLine = size === 64 ? 26 : size === 52 ? 32 : 40;
  return (
    <div tw="flex w-full h-full relative" style={{ backgroundColor: background }}>
      <div tw="absolute left-0 top-0 w-6 h-full" style={{ backgroundColor: accent }} />
      <div
        tw="absolute left-[120px]"
        style={{ top: top(300, 220, 1), fontFamily: "Noto Serif", fontSize: 220, lineHeight: 1, color: accent, opacity: 0.35 }}
      >
        “
      </div>
      <div
        tw="absolute left-[120px] flex flex-col font-bold text-slate-50"
        style={{ top: top(380, size, 1.3), fontSize: size, lineHeight: 1.3 }}
      >
        {wrap(quote, perLine)
          .slice(0, 8)
          .map((line, i) => (
            <div key={i} tw="whitespace-pre" style={{ fontSize: fitText(line, { width: 900, lines: 1, max: size, min: 16, weight: 700 }) }}>
              {line}
            </div>
          ))}
      </div>
      <div tw="absolute left-[117px] top-[877px] w-[146px] h-[6px] rounded-full" style={{ backgroundColor: accent }} />
      <div tw="absolute left-[120px] max-w-[900px] pb-3 text-[40px] text-slate-300 truncate" style={{ top: top(950, 40, 1), lineHeight: 1 }}>
        — {author}
      </div>
    </div>
  );
}

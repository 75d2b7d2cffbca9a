// A whole template in one file: `meta` is the manifest (no loopwind.json needed), the default export the card.
export const meta = {
  name: "og-card-tsx",
  description: "Open Graph card in a single .tsx file: a headline that shrinks to fit, a subtitle, an accent color and an optional logo.",
  type: "image",
  size: { width: 1200, height: 630 },
  props: {
    title: { type: "string", maxLength: 200, description: "Headline; shrinks to fit three lines", example: "Render images from templates" },
    subtitle: { type: "string", required: false, maxLength: 300, description: "Line under the headline" },
    site: { type: "string", default: "loopwind.dev", maxLength: 60 },
    accent: { type: "color", default: "#f59e0b", description: "Accent color" },
    logo: { type: "image", required: false, description: "Logo image (URL, asset path or bytes)" },
  },
  tags: ["og", "social", "jsx"],
  category: "open-graph",
};

type Props = { title: string; subtitle?: string | null; site: string; accent: string; logo?: string | null };

export default function OgCard({ title, subtitle, site, accent, logo }: Props, { fitText, image }) {
  const size = fitText(title, { width: 1040, lines: 3, max: 84, min: 44, weight: 700 });
  return (
    <div tw="flex flex-col w-full h-full bg-slate-950 text-white p-20 justify-between">
      <div tw="flex items-center">
        <div tw="w-4 h-12 rounded-full mr-5" style={{ backgroundColor: accent }} />
        <span tw="text-3xl font-bold text-slate-300">{site}</span>
      </div>
      <div tw="flex flex-col">
        <h1 tw="font-bold leading-tight m-0 line-clamp-3" style={{ fontSize: size }}>
          {title}
        </h1>
        {subtitle && <p tw="text-3xl text-slate-400 mt-6 mb-0 line-clamp-2">{subtitle}</p>}
      </div>
      <div tw="flex items-center justify-between">
        <div tw="h-2 w-64 rounded-full" style={{ backgroundColor: accent }} />
        {logo && <img src={image("logo")} tw="h-16 w-16 rounded-xl" />}
      </div>
    </div>
  );
}

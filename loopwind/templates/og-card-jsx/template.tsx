// The og-card design as a component: Tailwind in tw, a style object, helpers as the second argument.
import { SiteMark } from "./components/SiteMark";

type Props = { title: string; subtitle?: string | null; site: string; accent: string; logo?: string | null };

export default function OgCard({ title, subtitle, site, accent, logo }: Props, { fitText, image }) {
  // The largest headline size that fits 3 lines in the 1040px column, 44-84 px (measured with the real fonts).
  const size = fitText(title, { width: 1040, lines: 3, max: 84, min: 44, weight: 700 });
  return (
    <div tw="flex flex-col w-full h-full bg-slate-950 text-white p-20 justify-between">
      <SiteMark site={site} accent={accent} />
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

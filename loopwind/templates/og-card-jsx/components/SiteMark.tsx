export function SiteMark({ site, accent }: { site: string; accent: string }) {
  return (
    <div tw="flex items-center">
      <div tw="w-4 h-12 rounded-full mr-5" style={{ backgroundColor: accent }} />
      <span tw="text-3xl font-bold text-slate-300">{site}</span>
    </div>
  );
}

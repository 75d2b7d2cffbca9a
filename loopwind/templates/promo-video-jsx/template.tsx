// The promo video as a component. It is called once per frame with the frame's helpers (frame, time,
// progress…); animation classes (enter-/exit-/loop-) in tw or className animate as in html templates.
type Props = { headline: string; tagline: string; badge: string; accent: string };

export default function Promo({ headline, tagline, badge, accent }: Props, { progress }) {
  return (
    <div tw="flex flex-col w-full h-full items-center justify-center bg-zinc-950 text-white">
      <div
        className="glow"
        tw="absolute left-[290px] top-[-90px] w-[700px] h-[700px]"
        style={{ backgroundImage: `radial-gradient(circle, ${accent} 0%, transparent 65%)` }}
      />
      <div
        className="enter-zoom-in/100/400 loop-pulse/1000 exit-fade-out/2500/400"
        tw="flex px-6 py-2 rounded-full text-2xl font-bold mb-8"
        style={{ backgroundColor: accent }}
      >
        {badge}
      </div>
      <h1 className="enter-slide-up/200/500 exit-slide-up/2500/400" tw="text-8xl font-bold m-0 text-center line-clamp-2">
        {headline}
      </h1>
      <p className="enter-fade-in/600/500 exit-fade-out/2550/400" tw="text-4xl text-zinc-300 mt-6 mb-0">
        {tagline}
      </p>
      <div tw="absolute bottom-16 left-32 right-32 h-2 rounded-full bg-zinc-800 flex">
        <div tw="h-2 rounded-full" style={{ width: `${(progress * 100).toFixed(2)}%`, backgroundColor: accent }} />
      </div>
    </div>
  );
}

"""The files ``loopwind init`` writes: a small image or video template that renders as is."""

from __future__ import annotations

import json


def manifest(name: str, video: bool, engine: str = "html") -> dict:
    data = {
        "name": name,
        "description": f"{name}: a {'video' if video else 'image'} template",
        "type": "video" if video else "image",
        "engine": engine,
        "entry": "template.tsx" if engine == "jsx" else "template.html",
        "size": {"width": 1280, "height": 720} if video else {"width": 1200, "height": 630},
        "props": {
            "title": {"type": "string", "maxLength": 120, "example": "Hello from loopwind"},
            "subtitle": {"type": "string", "required": False, "maxLength": 200},
            "accent": {"type": "color", "default": "#f59e0b"},
        },
        "tags": ["starter"],
    }
    if video:
        data["video"] = {"fps": 24, "duration": 2}
    return data


IMAGE_HTML = """\
<div tw="flex flex-col w-full h-full bg-slate-950 text-white p-20 justify-center">
  <div tw="w-24 h-3 rounded-full mb-10" style="background-color: {{ accent }}"></div>
  <h1 tw="text-7xl font-bold m-0">{{ title }}</h1>
  {% if subtitle %}<p tw="text-3xl text-slate-400 mt-6 mb-0">{{ subtitle }}</p>{% endif %}
</div>
"""

VIDEO_HTML = """\
<div tw="flex flex-col w-full h-full items-center justify-center bg-zinc-950 text-white">
  <h1 class="enter-slide-up/0/600" tw="text-8xl font-bold m-0">{{ title }}</h1>
  {% if subtitle %}<p class="enter-fade-in/400/600" tw="text-4xl text-zinc-300 mt-6 mb-0">{{ subtitle }}</p>{% endif %}
  <div tw="absolute bottom-16 left-32 right-32 h-2 rounded-full bg-zinc-800 flex">
    <div tw="h-2 rounded-full" style="width: {{ '%.2f'|format(progress * 100) }}%; background-color: {{ accent }}"></div>
  </div>
</div>
"""

IMAGE_TSX = """\
// A React-style component: called as Template(props, helpers), returns JSX (Satori / Vercel OG style).
type Props = { title: string; subtitle?: string | null; accent: string };

export default function Template({ title, subtitle, accent }: Props) {
  return (
    <div tw="flex flex-col w-full h-full bg-slate-950 text-white p-20 justify-center">
      <div tw="w-24 h-3 rounded-full mb-10" style={{ backgroundColor: accent }} />
      <h1 tw="text-7xl font-bold m-0">{title}</h1>
      {subtitle && <p tw="text-3xl text-slate-400 mt-6 mb-0">{subtitle}</p>}
    </div>
  );
}
"""

VIDEO_TSX = """\
// Called once per frame; helpers.progress goes from 0 to 1, animation classes work in className or tw.
type Props = { title: string; subtitle?: string | null; accent: string };

export default function Template({ title, subtitle, accent }: Props, { progress }) {
  return (
    <div tw="flex flex-col w-full h-full items-center justify-center bg-zinc-950 text-white">
      <h1 className="enter-slide-up/0/600" tw="text-8xl font-bold m-0">{title}</h1>
      {subtitle && <p className="enter-fade-in/400/600" tw="text-4xl text-zinc-300 mt-6 mb-0">{subtitle}</p>}
      <div tw="absolute bottom-16 left-32 right-32 h-2 rounded-full bg-zinc-800 flex">
        <div tw="h-2 rounded-full" style={{ width: `${(progress * 100).toFixed(2)}%`, backgroundColor: accent }} />
      </div>
    </div>
  );
}
"""

README = """\
# {name}

Render it:    loopwind render . --props '{{"title": "Hello"}}'
Preview it:   loopwind preview .
Publish it:   loopwind publish .

{about}
"""
ABOUT = {
    "html": 'Props are declared in loopwind.json; the template is Jinja2 HTML with Tailwind classes in tw="…".',
    "jsx": 'Props are declared in loopwind.json; template.tsx is a React-style component with Tailwind in tw="…"\n'
    "(helpers: tw, qr, image, path, fitText, and frame/time/progress for videos; see docs/engine.md).",
}


def files(name: str, video: bool, engine: str = "html") -> dict[str, str]:
    if engine == "jsx":
        entry = {"template.tsx": VIDEO_TSX if video else IMAGE_TSX}
    else:
        entry = {"template.html": VIDEO_HTML if video else IMAGE_HTML}
    return {
        "loopwind.json": json.dumps(manifest(name, video, engine), indent=2) + "\n",
        **entry,
        "README.md": README.format(name=name, about=ABOUT[engine]),
    }

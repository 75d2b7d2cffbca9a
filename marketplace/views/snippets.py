"""Copy-paste snippets (CLI, curl, SDK) and the Open Graph image of a template page."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.urls import reverse

from core.errors import ApiError
from rendering import services as rendering

logger = logging.getLogger(__name__)
OFFICIAL_OG = ("loopwind", "og-card")
DEFAULT_SITE = "https://loopwind.dev"


def example_props(props_spec: dict) -> dict:
    """The props a snippet shows: each prop's example, else its default, else a placeholder for required ones."""
    out = {}
    for name, spec in props_spec.items():
        if "example" in spec:
            out[name] = spec["example"]
        elif spec.get("required") and spec.get("default") is None:
            out[name] = {"number": 1, "integer": 1, "boolean": True}.get(spec.get("type"), f"Your {name}")
    return out


def props_for_snippet(props_spec: dict, typed: dict) -> dict:
    """What a visitor typed, for the snippets: required props and those that differ from the
    default (a snippet spelling out every default would bury the interesting part)."""
    out = {}
    for name, value in typed.items():
        spec = props_spec.get(name, {})
        if spec.get("required") or value != spec.get("default"):
            out[name] = value
    return out


def snippets(template, version, props: dict | None = None) -> dict[str, str]:
    """CLI, curl, Python and TypeScript for rendering ``template`` with ``props`` (its example props
    when None)."""
    if version is None:
        return {}
    if props is None:
        props = example_props((version.manifest or {}).get("props", {}))
    slug = template.slug
    video = template.type == "video"
    fmt = "mp4" if video else "png"
    props_json = json.dumps(props, ensure_ascii=False)
    body = json.dumps({"template": slug, "props": props, "format": fmt}, ensure_ascii=False)
    endpoint = "/api/render/async" if video else "/api/render"
    curl = (
        f"curl -X POST {settings.SITE_URL}{endpoint} \\\n"
        '  -H "Authorization: Bearer $LOOPWIND_API_KEY" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d '{body}'" + ("" if video else f" \\\n  -o {template.name}.png")
    )
    self_hosted = settings.SITE_URL != DEFAULT_SITE
    cli = f"loopwind render {slug} --remote --format {fmt} --props '{props_json}' --out {template.name}.{fmt}"
    if self_hosted:
        cli = f"export LOOPWIND_API_URL={settings.SITE_URL}\n{cli}"
    base_url = f", base_url={settings.SITE_URL!r}" if self_hosted else ""
    lines = ["from loopwind import Loopwind", "", f'lw = Loopwind(api_key="lw_live_…"{base_url})']
    if video:
        lines += [f"job = lw.render_video({slug!r}, props={props!r}, format={fmt!r})", "job.wait()",
                  "print(job.output_url)"]  # fmt: skip
    else:
        lines += [f"png = lw.render({slug!r}, props={props!r}, format={fmt!r})",
                  f'open("{template.name}.png", "wb").write(png)']  # fmt: skip
    sdk = "\n".join(lines)
    return {
        "cli": cli,
        "curl": curl,
        "sdk": sdk,
        "typescript": typescript_snippet(template, props, fmt, self_hosted),
    }


def typescript_snippet(template, props: dict, fmt: str, self_hosted: bool) -> str:
    """The @loopwind/sdk lines (an ES module: top-level await). JSON is valid JavaScript, so the slug
    and the props are written as JSON."""
    base_url = f", baseUrl: {json.dumps(settings.SITE_URL)}" if self_hosted else ""
    options = f"{{ props: {json.dumps(props, ensure_ascii=False)}, format: {json.dumps(fmt)} }}"
    slug = json.dumps(template.slug)
    lines = []
    if template.type != "video":
        lines.append("import { writeFile } from 'node:fs/promises';")
    lines += ["import { Loopwind } from '@loopwind/sdk';", "",
              f"const lw = new Loopwind({{ apiKey: process.env.LOOPWIND_API_KEY{base_url} }});"]  # fmt: skip
    if template.type == "video":
        lines += [f"const job = await lw.renderVideo({slug}, {options});", "await job.wait();",
                  "console.log(job.outputUrl);"]  # fmt: skip
    else:
        lines += [f"const image = await lw.render({slug}, {options});",
                  f"await writeFile({json.dumps(template.name + '.png')}, new Uint8Array(image.data));"]  # fmt: skip
    return "\n".join(lines)


def signed_url(template, version, props: dict, signer) -> str:
    """A signed /i/ URL of an image template with ``props``, signed by ``signer`` (renders count against
    them); '' for videos and props the template refuses."""
    if version is None or template.type != "image":
        return ""
    try:
        rendering.check_props(version=version, props=props)
        return rendering.image_url_sign(
            signer=signer, template=template, version=version.version, props=props, fmt="png"
        )
    except ApiError:
        return ""


def og_image_url(template, version) -> str:
    """The page's og:image: the template's own preview, served by the site while it is public
    (public.template_og_image); none for private templates."""
    if version is None or template.private or not version.preview:
        return ""
    return f"{settings.SITE_URL}{reverse('template-og-image', args=[template.owner.username, template.name])}"

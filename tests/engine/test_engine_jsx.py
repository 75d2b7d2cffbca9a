"""Engine "jsx": Satori / Vercel OG semantics, helpers, imports, meta, isolation between renders, determinism."""

from __future__ import annotations

import io
import json
import threading

import pytest
from engine_helpers import TEMPLATES, make_files, png_bytes
from PIL import Image

from loopwind.engine import (
    BundleError,
    TemplateError,
    cache_key,
    example_props,
    load_bundle,
    render,
    render_video,
)
from loopwind.engine.pipeline import Job


def jsx(template: str, manifest=None, extra=None, props=None, frame=None) -> str:
    """The markup a jsx template produces (what the html pipeline then renders)."""
    files = make_files(manifest, engine="jsx", template=template, extra=extra)
    return Job(load_bundle(files), props if props is not None else {"title": "T"}).markup(frame)


def pixel(png: bytes, xy=(2, 2)):
    return Image.open(io.BytesIO(png)).convert("RGB").getpixel(xy)


# ---- item 2: JSX semantics


def test_tw_class_and_classname():
    out = jsx('export default () => <div tw="flex p-2" className="a b"><p class="c">x</p></div>;')
    assert out == '<div tw="flex p-2" class="a b"><p class="c">x</p></div>'


def test_style_objects_camel_case_and_px():
    out = jsx(
        "export default () => <div style={{ display: 'flex', fontSize: 64, lineHeight: 1.2, opacity: 0.5, "
        "zIndex: 2, marginTop: 0, WebkitLineClamp: 2, backgroundImage: 'linear-gradient(90deg, red, blue)', "
        "'--gap': '4px', padding: 1.5, flexGrow: 1, bad: {}, no: null }} />;"
    )
    assert out == (
        '<div style="display:flex;font-size:64px;line-height:1.2;opacity:0.5;z-index:2;margin-top:0;'
        "-webkit-line-clamp:2;background-image:linear-gradient(90deg, red, blue);--gap:4px;padding:1.5px;"
        'flex-grow:1"></div>'
    )


def test_children_fragments_arrays_null_false_and_keys():
    out = jsx(
        "const items = ['a', 'b'];\n"
        "export default () => <div><>{null}{false}{undefined}{true}{0}</>{items.map((x) => <i key={x}>{x}</i>)}"
        "{[[1, [2]], 'z']}</div>;"
    )
    assert out == "<div>0<i>a</i><i>b</i>12z</div>"


def test_nested_components_get_props_children_and_helpers():
    out = jsx(
        "const Card = ({ title, children }, { width }) => <section title={title}>{children}{width}</section>;\n"
        "const Wrap = (props) => <Card {...props} />;\n"
        "export default ({ title }) => <Wrap title={title}><b>in</b></Wrap>;"
    )
    assert out == '<section title="T"><b>in</b>64</section>'


def test_text_and_attributes_are_escaped():
    out = jsx(
        "export default ({ title }) => <div data-x={title}>{title}</div>;",
        props={"title": '<script>alert("x")</script>'},
    )
    assert out == (
        '<div data-x="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">'
        '&lt;script&gt;alert("x")&lt;/script&gt;</div>'
    )
    png = render(
        make_files(engine="jsx", template="export default ({ title }) => <div>{title}</div>;"),
        {"title": "<script>x</script>"},
    )
    assert png.startswith(b"\x89PNG")


def test_images_from_asset_data_uri_and_image_prop():
    red, blue = png_bytes(color=(255, 0, 0, 255)), png_bytes(color=(0, 0, 255, 255))
    files = make_files(
        {"props": {"logo": "image", "title": "string?"}},
        engine="jsx",
        template=(
            'export default ({ logo }, { image, path }) => <div tw="flex">'
            '<img src={path("assets/red.png")} width={8} height={8} />'
            '<img src={image("logo")} width={8} height={8} />'
            "<img src={logo} width={8} height={8} />"
            '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==" width={8} height={8} />'
            "</div>;"
        ),
        extra={"assets/red.png": red},
    )
    job = Job(load_bundle(files), {"logo": blue})
    markup = job.markup()
    key = next(k for k in job.images if k.startswith("loopwind-prop-logo-"))
    assert 'src="assets/red.png"' in markup and markup.count(f'src="{key}"') == 2
    png = render(files, {"logo": blue})
    assert pixel(png, (2, 2)) == (255, 0, 0) and pixel(png, (10, 2)) == (0, 0, 255)


def test_unknown_image_or_asset_is_a_template_error():
    for call in ('image("nope.png")', 'path("../../etc/passwd")'):
        with pytest.raises(TemplateError) as exc:
            jsx(f"export default (p, {{ image, path }}) => <img src={{{call}}} />;")
        assert exc.value.code == "asset_not_found"


def test_inline_svg_attributes():
    out = jsx(
        'export default () => <svg viewBox="0 0 10 10" width={10} height={10}><circle cx={5} cy={5} r={4} '
        'fill="none" strokeWidth={2} strokeLinecap="round" stroke="#f00" /></svg>;'
    )
    assert out == (
        '<svg viewBox="0 0 10 10" width="10" height="10"><circle cx="5" cy="5" r="4" fill="none" '
        'stroke-width="2" stroke-linecap="round" stroke="#f00"></circle></svg>'
    )
    png = render(
        make_files(
            engine="jsx",
            template='export default () => <div tw="flex w-full h-full bg-white"><svg width="64" height="48">'
            '<rect width="64" height="48" fill="#00ff00" /></svg></div>;',
        ),
        {"title": "x"},
    )
    assert pixel(png) == (0, 255, 0)


def test_style_and_tw_render_the_same_as_html():
    html = make_files(template='<div tw="flex w-full h-full" style="background-color: #123456"></div>')
    tsx = make_files(
        engine="jsx",
        template='export default () => <div tw="flex w-full h-full" style={{ backgroundColor: "#123456" }} />;',
    )
    assert render(html, {"title": "x"}) == render(tsx, {"title": "x"})


# ---- runtimes and imports


def test_classic_automatic_and_dev_runtimes():
    files = make_files(
        {"entry": "template.js"},
        engine="jsx",
        extra={
            "template.js": (
                'import React from "react";\nimport { jsx } from "react/jsx-runtime";\n'
                'import { jsxDEV } from "react/jsx-dev-runtime";\nimport { Item } from "./Item";\n'
                "export default function T() {\n"
                '  return React.createElement("ul", { id: "l" }, jsx("li", { children: "a" }), '
                'jsxDEV("li", { children: "b" }), React.createElement(Item, null), <li>d</li>);\n}\n'
            ),
            "Item.jsx": "export const Item = () => <li>c</li>;",
        },
    )
    del files["template.tsx"]
    assert (
        Job(load_bundle(files), {"title": "x"}).markup()
        == '<ul id="l"><li>a</li><li>b</li><li>c</li><li>d</li></ul>'
    )


def test_relative_imports_resolve_extensions_index_and_json():
    out = jsx(
        'import { Badge } from "./components/Badge";\nimport data from "./data.json";\nimport * as lib from "./lib";\n'
        "export default () => <div>{Badge({ label: data.label })}{lib.twice(2)}</div>;",
        extra={
            "components/Badge.tsx": 'import { upper } from "../lib/text";\n'
            "export const Badge = ({ label }: { label: string }) => <b>{upper(label)}</b>;",
            "lib/index.ts": "export const twice = (n: number): number => n * 2;",
            "lib/text.ts": "export const upper = (s: string) => s.toUpperCase();",
            "data.json": '{"label": "new"}',
        },
    )
    assert out == "<div><b>NEW</b>4</div>"


def test_imports_of_packages_are_bundle_errors_naming_the_module():
    with pytest.raises(BundleError) as exc:
        jsx('import { z } from "zod";\nexport default () => <div>{String(z)}</div>;')
    assert exc.value.code == "module_not_allowed" and exc.value.details["module"] == "zod"


# ---- meta and loopwind.json


OG = """export const meta = {
  name: "og-card", type: "image", size: { width: 120, height: 63 },
  props: { title: "string", accent: { type: "color", default: "#f59e0b" } }, tags: ["og"],
};
export default ({ title, accent }) => <div tw="flex w-full h-full" style={{ backgroundColor: accent }}>{title}</div>;
"""


def test_single_tsx_file_is_a_template(tmp_path):
    (tmp_path / "og-card.tsx").write_text(OG)
    bundle = load_bundle(tmp_path)
    manifest = bundle.manifest_dict()
    assert (bundle.name, bundle.engine, bundle.entry) == ("og-card", "jsx", "og-card.tsx")
    assert manifest["size"] == {"width": 120, "height": 63} and manifest["tags"] == ["og"]
    assert manifest["props"]["accent"] == {"type": "color", "required": False, "default": "#f59e0b"}
    assert pixel(render(bundle, {"title": "Hi"})) == (245, 158, 11)


def test_meta_entry_is_found_among_several_files():
    bundle = load_bundle({"Card.tsx": OG, "Badge.tsx": "export const Badge = () => <b />;"})
    assert bundle.entry == "Card.tsx"
    with pytest.raises(BundleError) as exc:
        load_bundle({"A.tsx": "export default () => <a />;", "B.tsx": "export default () => <b />;"})
    assert exc.value.code == "manifest_missing" and exc.value.details["candidates"] == ["A.tsx", "B.tsx"]


def test_no_manifest_and_no_meta():
    with pytest.raises(BundleError) as exc:
        load_bundle({"card.tsx": "export default () => <div />;"})
    assert exc.value.code == "manifest_missing" and "card.tsx" in exc.value.message


def test_meta_errors_name_the_entry():
    with pytest.raises(BundleError) as exc:
        load_bundle({"card.tsx": OG.replace("width: 120", "width: 99999")})
    assert exc.value.details["file"] == "card.tsx" and exc.value.message.startswith(
        "card.tsx (meta): size.width"
    )


def test_loopwind_json_and_meta_merge_and_conflict():
    manifest = {"name": "og-card", "engine": "jsx", "entry": "card.tsx", "description": "from the manifest"}
    files = {"loopwind.json": json.dumps(manifest), "card.tsx": OG}
    bundle = load_bundle(files)
    assert bundle.description == "from the manifest" and bundle.width == 120
    same = {
        **manifest,
        "props": {"title": {"type": "string"}, "accent": {"type": "color", "default": "#f59e0b"}},
    }
    assert load_bundle({**files, "loopwind.json": json.dumps(same)}).name == "og-card"
    conflict = {**manifest, "size": {"width": 1200, "height": 630}}
    with pytest.raises(BundleError) as exc:
        load_bundle({**files, "loopwind.json": json.dumps(conflict)})
    assert exc.value.code == "meta_conflict"
    assert "loopwind.json" in exc.value.message and "card.tsx" in exc.value.message
    assert exc.value.details == {"file": "loopwind.json", "entry": "card.tsx", "field": "size"}


# ---- item 3: helpers


def test_tw_helper_merges_classes_later_wins():
    out = jsx(
        'export default (p, { tw }) => <div tw={tw("p-2 bg-red-500", false && "x", ["m-1", null], '
        '{ "bg-blue-500": true, hidden: false }, "p-2")} />;'
    )
    assert out == '<div tw="bg-red-500 m-1 bg-blue-500 p-2"></div>'
    png = render(
        make_files(
            engine="jsx",
            template='export default (p, { tw }) => <div tw={tw("flex w-full h-full bg-red-500", "bg-blue-500")} />;',
        ),
        {"title": "x"},
    )
    assert pixel(png) == (43, 127, 255)


def test_qr_fit_text_and_clamp_text():
    out = jsx(
        "export default ({ title }, { qr, fitText, clampText }) => <div>"
        '<img src={qr("https://loopwind.dev", { dark: "#111111" })} />'
        "<h1 style={{ fontSize: fitText(title, { width: 200, max: 40, min: 10 }) }}>{title}</h1>"
        '<p>{clampText("one two three four five six seven eight nine ten", { width: 60, size: 16 })}</p></div>;'
    )
    assert out.startswith('<div><img src="data:image/svg+xml;') and "%23111" in out
    assert '<h1 style="font-size:40px">T</h1>' in out
    clamped = out.split("<p>")[1].split("</p>")[0]
    assert clamped.endswith("…") and len(clamped) < 20
    with pytest.raises(TemplateError) as exc:
        jsx('export default (p, { fitText }) => <h1 style={{ fontSize: fitText("x", {}) }} />;')
    assert exc.value.code == "helper_error" and "width" in exc.value.message
    with pytest.raises(TemplateError) as exc:
        jsx(
            'export default (p, { fitText }) => <h1 style={{ fontSize: fitText("x", { width: 9, max: 1e9 }) }} />;'
        )
    assert exc.value.message == "fitText(): max must be a number from 1 to 1000."


def test_video_helpers_and_animation_classes():
    manifest = {"type": "video", "video": {"fps": 10, "duration": 1}}
    template = (
        "export default (p, { frame, totalFrames, fps, time, progress }) => "
        '<div className="enter-fade-in/0/500" tw="flex">{[frame, totalFrames, fps, time, progress].join(",")}</div>;'
    )
    assert (
        jsx(template, manifest, frame=5)
        == '<div class="enter-fade-in/0/500" tw="flex">5,10,10,0.5,0.5555555555555556</div>'
    )
    files = make_files(manifest, engine="jsx", template=template)
    job = Job(load_bundle(files), {"title": "x"})
    from loopwind.engine.html_engine import _root

    assert "opacity:0.0000" in _root(job, 0)[0] and "opacity:1.0000" in _root(job, 9)[0]
    mp4 = render_video(files, {"title": "x"})
    assert mp4[4:8] == b"ftyp"
    assert render_video(files, {"title": "x"}) == mp4


def test_a_failing_video_frame_fails_the_video_and_the_next_render_works():
    files = make_files(
        {"type": "video", "video": {"fps": 10, "duration": 2}},
        engine="jsx",
        template='export default (p, { frame }) => { if (frame === 13) throw new Error("frame 13"); return <div />; };',
    )
    progress = []
    with pytest.raises(TemplateError) as exc:
        render_video(files, {"title": "x"}, on_progress=lambda f, t: progress.append(f))
    assert exc.value.message == "template.tsx:1: Error: frame 13" and progress[-1] == 13
    assert render(files, {"title": "x"}, time=0.5).startswith(b"\x89PNG")


# ---- item 4: no state between renders


def test_module_state_and_globals_do_not_leak_between_renders():
    bundle = load_bundle(
        make_files(
            engine="jsx",
            template=(
                "let count = 0;\nconst seen: string[] = [];\n"
                "export default ({ title }) => {\n"
                "  count++; seen.push(title);\n"
                "  let wrote = 'no';\n"
                "  try { (globalThis as any).previous = title; wrote = 'yes'; } catch (e) {}\n"
                "  try { (Object.prototype as any).previous = title; } catch (e) {}\n"
                "  return <div>{count}|{seen.join(',')}|{String((globalThis as any).previous)}|"
                "{String(({} as any).previous)}|{wrote}|{Math.random()}|{Date.now()}|{new Date().getFullYear()}</div>;\n"
                "};"
            ),
        )
    )
    first = Job(bundle, {"title": "alice-secret"}).markup()
    second = Job(bundle, {"title": "bob"}).markup()
    assert "alice" not in second
    assert second.startswith("<div>1|bob|undefined|undefined|no|0.")
    assert second.endswith("|946684800000|2000</div>")
    assert first.split("|")[5] == second.split("|")[5]  # Math.random restarts from the same seed


def test_renders_in_parallel_threads():
    bundle = load_bundle(make_files(engine="jsx"))
    out: dict[int, bytes] = {}

    def work(i: int) -> None:
        out[i] = render(bundle, {"title": f"n{i % 2}"})

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(out) == 6 and out[0] == out[2] == out[4] and out[1] == out[3] and out[0] != out[1]


# ---- items 5 and 6: transpiled once, deterministic


def test_transpiled_once_per_bundle(monkeypatch):
    from loopwind.engine.jsx import host

    ops = []
    real = host._request

    def spy(helper, cls, header, *args):
        ops.append(header["op"])
        return real(helper, cls, header, *args)

    monkeypatch.setattr(host, "_request", spy)
    files = make_files(engine="jsx", template="export default () => <div>once {1 + 1}</div>;")
    bundle = load_bundle(files)
    load_bundle(dict(files))
    for _ in range(3):
        render(bundle, {"title": "x"})
    assert ops.count("transpile") == 1 and ops.count("render") == 3


def test_deterministic_across_loads_and_helpers():
    from loopwind.engine import isolate

    files = {"og.tsx": OG}
    first = render(files, {"title": "Same bytes"})
    isolate.shutdown()  # new helpers, new contexts
    assert render(load_bundle(files), {"title": "Same bytes"}) == first
    og = TEMPLATES / "og-card-jsx"
    assert render(og, {"title": "x", "logo": png_bytes()}) == render(og, {"title": "x", "logo": png_bytes()})


def test_cache_key_and_example_props():
    bundle = load_bundle(TEMPLATES / "og-card-tsx")
    assert example_props(bundle) == {"title": "Render images from templates", "subtitle": "Subtitle"}
    assert cache_key(bundle, {"title": "a"}) == cache_key(TEMPLATES / "og-card-tsx", {"title": "a"})
    assert cache_key(bundle, {"title": "a"}) != cache_key(bundle, {"title": "b"})


def test_v8_helper_runs_in_another_process_without_secrets(monkeypatch):
    import os

    from loopwind.engine import isolate
    from loopwind.engine.jsx import helper_pids

    isolate.shutdown()
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgres://user:pw@db/x")
    render(make_files(engine="jsx"), {"title": "x"})
    pids = helper_pids()
    assert pids and os.getpid() not in pids
    environ = open(f"/proc/{pids[0]}/environ", "rb").read().split(b"\0")
    names = {e.split(b"=", 1)[0].decode() for e in environ if e}
    assert names <= {"PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TZ"}
    assert b"do-not-leak" not in b"".join(environ)
    import sys

    assert "py_mini_racer" not in sys.modules  # V8 was never loaded into this process


def test_forked_child_renders_jsx_with_its_own_helpers():
    import os

    files = make_files(engine="jsx")
    assert render(files, {"title": "parent"}).startswith(b"\x89PNG")
    pid = os.fork()
    if pid == 0:
        try:
            os._exit(0 if render(files, {"title": "child"}).startswith(b"\x89PNG") else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert render(files, {"title": "parent again"}).startswith(b"\x89PNG")


def test_renders_from_a_process_under_an_address_space_limit():
    """The server's render children run under a soft RLIMIT_AS; the V8 helper they start lifts it."""
    import subprocess
    import sys

    code = (
        "import resource, sys; _, hard = resource.getrlimit(resource.RLIMIT_AS);"
        "resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 ** 3, hard));"
        "sys.path.insert(0, sys.argv[1]); from engine_helpers import make_files;"
        "from loopwind.engine import render;"
        "print(render(make_files(engine='jsx'), {'title': 'limited'})[:4])"
    )
    tests_dir = str(TEMPLATES.parents[1] / "tests" / "engine")
    out = subprocess.run([sys.executable, "-c", code, tests_dir], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == repr(b"\x89PNG")


@pytest.mark.parametrize(
    "call",
    [
        "React.useState(0)",
        "React.useEffect(() => {})",
        "React.useContext(React.createContext(1))",
        "useRef(null)",
    ],
)
def test_hooks_are_refused_clearly(call):
    with pytest.raises(TemplateError) as exc:
        jsx(f'import React, {{ useRef }} from "react";\nexport default () => {{ {call}; return <div />; }};')
    assert exc.value.code == "hooks_not_supported"
    assert "pure function of its props" in exc.value.message

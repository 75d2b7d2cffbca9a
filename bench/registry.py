"""Benchmark of template discovery: GET /api/templates over 10 000 published templates on PostgreSQL.

    .venv/bin/python bench/registry.py [--requests 600] [--templates 10000] [--reseed] [--no-explain]

The issue's target (server-side): median <= 30 ms, p95 <= 60 ms for GET /api/templates with q and filters,
and a fixed number of SQL queries per request whatever the page size.

- Uses its own database, ``loopwind_bench`` (created when missing) on the server of DATABASE_URL
  (default postgres://postgres@127.0.0.1:5432); BENCH_DATABASE_URL names the whole URL instead.
  The cache is Redis db 14 (BENCH_REDIS_URL overrides; local memory when Redis is not reachable).
- Migrates, then seeds 10 000 public templates (plus private and unpublished ones, which must not show)
  spread over 500 owners, with versions, manifests, tags and counters, through bulk inserts and one UPDATE
  of the search vectors (the same SQL expression publishing uses). A seeded database is reused.
- Requests go through Django's test client in-process: URL routing, the full middleware stack, DRF,
  the selector and the serializers against the real database; that is the server-side time.
  Prints medians and p95 per kind of query and overall next to the targets, the SQL query count per
  request, and EXPLAIN ANALYZE of one search. No assertions: it only reports.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import socket
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_database_url, ensure_database  # noqa: E402

BENCH_DB = "loopwind_bench"
TARGET_MEDIAN_MS = 30.0
TARGET_P95_MS = 60.0
SEED = 20240601

# --- the database and settings, before Django loads ---------------------------------------------------


def redis_url() -> str:
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1).close()
    except OSError:
        print(f"Redis at {parts.netloc} is not reachable: the cache is local memory")
        return ""
    return url


def configure() -> str:
    url = bench_database_url(BENCH_DB)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = redis_url()
    os.environ["DEBUG"] = "0"  # production settings: no query log, no debug pages
    # Rate limiting stays on (its cost is part of every request) with a limit the bench never reaches.
    os.environ["ANON_REQUESTS_PER_MINUTE"] = "100000000"
    os.environ["DJANGO_SETTINGS_MODULE"] = "loopwind_site.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return url


# --- seed data ---------------------------------------------------------------------------------------

FIRST = """
ada alan ana anna ben bob carla chen chris dan dana eli emma eva felix finn gia hana ian ines ivan
jade jan jo jonas kai kate kim lea leo lin liam lucia luca maya mia mila nia nico noah nora olga omar
paul pia raj rosa ruby sam sara sofia tara teo tom uma vera wei yara yuki zoe
""".split()
HANDLES = """
studio labs design pixels motion dev works craft media hq makes ui codes builds io
""".split()
STYLES = """
minimal modern bold neon retro gradient dark light clean brutalist playful elegant glass pastel
mono corporate vintage flat vibrant soft
""".split()
SUBJECTS = """
podcast blog product launch event conference webinar meetup sale ecommerce github release changelog
newsletter course recipe travel weather sports crypto finance music book hiring job testimonial
pricing startup saas portfolio real-estate fitness game birthday wedding holiday
""".split()
KINDS = """
card banner cover thumbnail poster header quote stats badge ticket certificate invoice story reel intro
outro countdown lower-third promo teaser announcement slide
""".split()
VIDEO_KINDS = {"story", "reel", "intro", "outro", "countdown", "lower-third", "promo", "teaser"}
PLATFORMS = """
twitter linkedin instagram youtube tiktok facebook og social email slack discord
""".split()
TAGS = sorted(
    set(PLATFORMS)
    | set(STYLES[:12])
    | {s for s in SUBJECTS if len(s) <= 12}
    | {"animated", "video", "image", "svg", "html", "tailwind", "chart", "qr", "avatar", "logo", "text"}
)
FEATURES = """
a headline that shrinks to fit|an optional logo|a QR code|an accent color|custom fonts|a dark mode|
an avatar|a progress bar|animated entrances|a background image|a gradient background|emoji|
a subtitle|a call to action|a price tag|a date and time|a speaker photo|a chart
""".replace("\n", "").split("|")
SIZES = [(1200, 630), (1080, 1080), (1080, 1920), (1280, 720), (1920, 1080), (1500, 500), (800, 418)]

TEMPLATES_PER_RUN = 10_000
PRIVATE_EXTRA = 600
UNPUBLISHED_EXTRA = 400
OWNERS = 500


def _hex(rng: random.Random) -> str:
    return hashlib.sha256(rng.randbytes(16)).hexdigest()


def _manifest(rng: random.Random, name: str, description: str, type_: str, tags: list[str]) -> dict:
    engine = "svg" if type_ == "image" and rng.random() < 0.2 else "html"
    width, height = rng.choice(SIZES)
    props = {
        "title": {"type": "string", "required": True, "description": "Headline", "maxLength": 200},
        "subtitle": {"type": "string", "required": False, "maxLength": 300},
    }
    for extra in rng.sample(
        ["accent", "logo", "author", "date", "price", "avatar", "count"], rng.randint(0, 4)
    ):
        props[extra] = {
            "accent": {"type": "color", "required": False, "default": "#f59e0b"},
            "logo": {"type": "image", "required": False, "description": "Logo image"},
            "author": {"type": "string", "required": False, "maxLength": 80},
            "date": {"type": "string", "required": False, "maxLength": 40},
            "price": {"type": "number", "required": False, "min": 0},
            "avatar": {"type": "image", "required": False},
            "count": {"type": "integer", "required": False, "min": 0, "max": 99, "default": 3},
        }[extra]
    manifest = {
        "name": name,
        "description": description,
        "type": type_,
        "engine": engine,
        "entry": "template.svg" if engine == "svg" else "template.html",
        "size": {"width": width, "height": height},
        "props": props,
        "tags": tags,
        "stylesheets": ["style.css"] if rng.random() < 0.3 else [],
        "fonts": [{"path": "fonts/Inter-Bold.ttf", "family": "Inter", "weight": 700}]
        if rng.random() < 0.2
        else [],
    }
    if type_ == "video":
        manifest["video"] = {"fps": rng.choice([24, 30, 60]), "duration": rng.choice([3, 5, 6, 10, 15])}
    return manifest


def _files(rng: random.Random, manifest: dict) -> list[dict]:
    paths = [
        "loopwind.json",
        manifest["entry"],
        *manifest["stylesheets"],
        *(f["path"] for f in manifest["fonts"]),
    ]
    if "logo" in manifest["props"]:
        paths.append("assets/logo.png")
    return [{"path": p, "checksum": _hex(rng), "size": rng.randint(200, 60_000)} for p in sorted(paths)]


def seeded(expected_public: int) -> bool:
    from templates_registry.models import Template

    public = Template.objects.filter(private=False, unpublished_at=None)
    return (
        public.count() == expected_public
        and Template.objects.count() == expected_public + PRIVATE_EXTRA + UNPUBLISHED_EXTRA
        and not Template.objects.filter(search_vector=None).exists()
        and not Template.objects.filter(latest_version=None).exists()
    )


def seed(public_count: int) -> None:
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db import connection, transaction
    from django.db.models import OuterRef, Subquery

    from accounts.models import User
    from templates_registry.models import Tag, Template, TemplateVersion
    from templates_registry.services import search_vectors_update

    rng = random.Random(SEED)
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    t0 = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:  # our own database: start from nothing
            cursor.execute(
                "TRUNCATE templates_registry_star, templates_registry_template_tags, "
                "templates_registry_templateversion, templates_registry_template, templates_registry_tag, "
                f"{User._meta.db_table} RESTART IDENTITY CASCADE"
            )
        usernames: list[str] = []
        seen: set[str] = set()
        while len(usernames) < OWNERS:
            candidate = rng.choice(
                [
                    f"{rng.choice(FIRST)}-{rng.choice(HANDLES)}",
                    f"{rng.choice(FIRST)}{rng.randint(1, 99)}",
                    f"{rng.choice(STYLES)}-{rng.choice(HANDLES)}",
                    f"{rng.choice(FIRST)}-{rng.choice(FIRST)}",
                ]
            )
            if candidate not in seen:
                seen.add(candidate)
                usernames.append(candidate)
        users = User.objects.bulk_create(
            [
                User(
                    email=f"{u}@bench.loopwind.dev",
                    username=u,
                    name=u.replace("-", " ").title(),
                    password=UNUSABLE_PASSWORD_PREFIX + "bench",  # nobody signs in as these
                    plan=rng.choice(["free", "free", "pro", "business"]),
                    created_at=now - timedelta(days=rng.randint(30, 900)),
                )
                for u in usernames
            ]
        )
        # Popular authors publish many templates, most publish a few.
        weights = [1 / (i + 1) ** 0.8 for i in range(len(users))]
        tags = {t.name: t for t in Tag.objects.bulk_create([Tag(name=name) for name in TAGS])}

        total = public_count + PRIVATE_EXTRA + UNPUBLISHED_EXTRA
        owners = rng.choices(users, weights=weights, k=total)
        taken: set[tuple[int, str]] = set()
        templates, tag_names, manifests = [], [], []
        for i, owner in enumerate(owners):
            kind = rng.choice(KINDS)
            type_ = "video" if kind in VIDEO_KINDS or rng.random() < 0.05 else "image"
            subject, style = rng.choice(SUBJECTS), rng.choice(STYLES)
            words = rng.choice(
                [[subject, kind], [style, subject, kind], [style, kind], [rng.choice(PLATFORMS), kind]]
            )
            name = "-".join(words)
            n = 2
            while (owner.pk, name) in taken:
                name, n = f"{'-'.join(words)}-{n}", n + 1
            taken.add((owner.pk, name))
            features = rng.sample(FEATURES, 2)
            description = rng.choice(
                [
                    f"A {style} {kind.replace('-', ' ')} for {subject.replace('-', ' ')} with {features[0]}.",
                    f"{style.title()} {kind.replace('-', ' ')} template: {features[0]} and {features[1]}.",
                    f"{subject.replace('-', ' ').title()} {kind.replace('-', ' ')} for {rng.choice(PLATFORMS)}, "
                    f"{style} look, {features[0]}, {features[1]}.",
                    f"Make {subject.replace('-', ' ')} {kind.replace('-', ' ')}s in seconds. Supports {features[0]}.",
                ]
            )
            chosen = list(
                dict.fromkeys(
                    t
                    for t in [subject, style, rng.choice(PLATFORMS), *rng.sample(TAGS, 3)][
                        : rng.randint(1, 6)
                    ]
                    if t in tags
                )
            )
            published = now - timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
            popularity = rng.paretovariate(1.2)
            templates.append(
                Template(
                    owner=owner,
                    name=name,
                    description=description,
                    type=type_,
                    private=public_count <= i < public_count + PRIVATE_EXTRA,
                    unpublished_at=published + timedelta(days=3)
                    if i >= public_count + PRIVATE_EXTRA
                    else None,
                    downloads=int(popularity * 40) - 40,
                    renders=int(popularity * 300) - 300,
                    stars=int(popularity * 3) - 3,
                    featured=rng.random() < 0.005,
                    created_at=published - timedelta(days=rng.randint(0, 60)),
                    published_at=published,
                )
            )
            tag_names.append(chosen)
            manifests.append(_manifest(rng, name, description, type_, chosen))
        rng.shuffle(order := list(range(total)))  # private and unpublished rows interleaved by id
        templates = [templates[i] for i in order]
        tag_names = [tag_names[i] for i in order]
        manifests = [manifests[i] for i in order]
        Template.objects.bulk_create(templates, batch_size=2000)

        through = Template.tags.through
        through.objects.bulk_create(
            [
                through(template_id=t.pk, tag_id=tags[n].pk)
                for t, names in zip(templates, tag_names, strict=True)
                for n in names
            ],
            batch_size=5000,
        )
        versions = []
        for template, manifest in zip(templates, manifests, strict=True):
            count = rng.choice([1, 1, 1, 2, 2, 3, 5])
            for patch in range(count):
                files = _files(rng, manifest)
                prerelease = "beta.1" if patch == count - 1 and count > 2 and rng.random() < 0.2 else ""
                versions.append(
                    TemplateVersion(
                        template_id=template.pk,
                        version=f"1.0.{patch}" + (f"-{prerelease}" if prerelease else ""),
                        major=1,
                        minor=0,
                        patch=patch,
                        prerelease=prerelease,
                        is_prerelease=bool(prerelease),
                        manifest=manifest,
                        files=files,
                        checksum=_hex(rng),
                        size=sum(f["size"] for f in files),
                        preview=f"previews/{(h := _hex(rng))[:2]}/{h}.png",
                        preview_video=f"previews/{h[:2]}/{h}.mp4" if manifest["type"] == "video" else "",
                        downloads=rng.randint(0, 50),
                        published_at=template.published_at - timedelta(days=(count - 1 - patch) * 7),
                    )
                )
        TemplateVersion.objects.bulk_create(versions, batch_size=2000)
        # latest_version as publishing sets it: the newest release, else the newest prerelease.
        newest = TemplateVersion.objects.filter(template=OuterRef("pk")).order_by(
            "is_prerelease", "-major", "-minor", "-patch", "-prerelease"
        )
        Template.objects.update(latest_version=Subquery(newest.values("pk")[:1]))
        search_vectors_update(Template.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"seeded {len(users)} owners, {total} templates ({public_count} public, {PRIVATE_EXTRA} private, "
        f"{UNPUBLISHED_EXTRA} unpublished), {len(versions)} versions in {time.perf_counter() - t0:.1f} s"
    )


# --- the queries -------------------------------------------------------------------------------------


def query_mix() -> list[tuple[str, dict]]:
    """(kind, params) pairs; every kind has several variants so no single plan or cache line decides."""
    from django.db.models import Count

    from accounts.models import User

    authors = list(
        User.objects.annotate(n=Count("templates"))
        .filter(n__gte=3)
        .order_by("-n", "username")
        .values_list("username", flat=True)[:40]
    )
    rng = random.Random(SEED + 1)
    mix: list[tuple[str, dict]] = []
    add = lambda kind, **params: mix.append((kind, params))  # noqa: E731
    for q in ["card", "podcast", "launch", "gradient", "thumbnail", "certificate", "youtube", "countdown"]:
        add("q: one word", q=q)
    for q in ["podcast cover", "product launch", "neon banner", "dark og card", "event ticket", "music reel"]:
        add("q: two words", q=q)
    for q in ["podcsat", "thumbnial", "certifcate", "banenr", "neon-podcast-covr", "gradiant"]:
        add("q: typo", q=q)
    for q, type_ in [("card", "image"), ("intro", "video"), ("launch", "video"), ("quote", "image")]:
        add("q + type", q=q, type=type_)
    for q, tags in [
        ("card", "social"),
        ("launch", "twitter"),
        ("banner", "dark,linkedin"),
        ("stats", "minimal"),
    ]:
        add("q + tags", q=q, tags=tags)
    for tags in ["og", "social,dark", "youtube", "animated", "podcast,instagram"]:
        add("tags only", tags=tags)
    for author in rng.sample(authors, 6):
        add("author", author=author)
    for sort in ["popular", "recent", "downloads"]:
        add(f"sort={sort}", sort=sort)
        add(f"sort={sort}", sort=sort, type="video")
        add(f"sort={sort}", sort=sort, q="card")
    for page in [2, 3, 4, 5]:
        add("page 2..5", page=page)
        add("page 2..5", q="banner", page=page)
    add("limit=20", limit=20)
    add("limit=20", q="cover", limit=20)
    add("limit=100", limit=100)
    add("limit=100", q="card", limit=100)
    add("limit=100", tags="social", sort="recent", limit=100)
    add("no filters", **{})
    return mix


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run(requests: int, explain: bool) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    mix = query_mix()

    def get(params: dict):
        response = client.get("/api/templates", params)
        if response.status_code != 200:
            raise SystemExit(
                f"GET /api/templates?{urlencode(params)} -> {response.status_code}: {response.content[:300]}"
            )
        return response

    # Warm-up: connections, URL resolver, serializers, PostgreSQL's buffers and plan paths.
    for _ in range(3):
        for _, params in mix:
            get(params)

    # Query counts (one capture per variant) and result sizes.
    queries: dict[str, set[int]] = {}
    totals: dict[str, list[int]] = {}
    for kind, params in mix:
        with CaptureQueriesContext(connection) as captured:
            body = get(params).json()
        queries.setdefault(kind, set()).add(len(captured))
        totals.setdefault(kind, []).append(body["total"])
    for limit in (1, 20, 100):
        with CaptureQueriesContext(connection) as captured:
            get({"q": "card", "tags": "social", "limit": limit})
        queries.setdefault("page size 1/20/100", set()).add(len(captured))

    # The measured run: the mix shuffled, repeated up to ``requests`` requests.
    rng = random.Random(SEED + 2)
    schedule = [mix[i % len(mix)] for i in range(requests)]
    rng.shuffle(schedule)
    times: dict[str, list[float]] = {}
    t_all = time.perf_counter()
    for kind, params in schedule:
        t = time.perf_counter()
        get(params)
        times.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - t_all

    every = [v for values in times.values() for v in values]
    med, p95 = statistics.median(every), percentile(every, 95)
    print()
    print(
        f"GET /api/templates, {len(every)} requests over {len(mix)} variants, in-process test client, {wall:.1f} s"
    )
    print()
    header = f"{'kind':<20} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'SQL/req':>8} {'total hits':>16}"
    print(header)
    print("-" * len(header))
    for kind in dict.fromkeys(k for k, _ in mix):
        values = times[kind]
        hits = totals[kind]
        hit_range = f"{min(hits)}..{max(hits)}" if min(hits) != max(hits) else str(hits[0])
        print(
            f"{kind:<20} {len(values):>4} {statistics.median(values):>10.1f} {percentile(values, 95):>8.1f} "
            f"{max(values):>8.1f} {'/'.join(map(str, sorted(queries[kind]))):>8} {hit_range:>16}"
        )
    print("-" * len(header))
    print(f"{'overall':<20} {len(every):>4} {med:>10.1f} {p95:>8.1f} {max(every):>8.1f}")
    print()
    print(f"target   median <= {TARGET_MEDIAN_MS:.0f} ms  p95 <= {TARGET_P95_MS:.0f} ms")
    print(
        f"measured median  = {med:.1f} ms  p95  = {p95:.1f} ms   "
        f"({'meets' if med <= TARGET_MEDIAN_MS and p95 <= TARGET_P95_MS else 'MISSES'} the target)"
    )
    counts = sorted({n for values in queries.values() for n in values})
    print(
        f"SQL queries per request: {'/'.join(map(str, counts))} "
        f"(q=card&tags=social with limit 1, 20, 100: {'/'.join(map(str, sorted(queries['page size 1/20/100'])))})"
    )
    if explain:
        explain_search(get)


def explain_search(get) -> None:
    """EXPLAIN ANALYZE of the SQL that a search and a sorted list run (the count and the page)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for params in ({"q": "certificate", "type": "image"}, {"sort": "popular", "page": 3}):
        with CaptureQueriesContext(connection) as captured:
            get(params)
        print()
        print(f"EXPLAIN ANALYZE of GET /api/templates?{urlencode(params)}:")
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
                plan = [row[0] for row in cursor.fetchall()]
                print(f"  -- {sql[:100]}{'…' if len(sql) > 100 else ''}")
                keep = (
                    "Scan",
                    "Join",
                    "Sort",
                    "Limit",
                    "Aggregate",
                    "Append",
                    "Loop",
                    "Planning",
                    "Execution",
                )
                for line in plan:
                    if any(word in line for word in keep) and "Sort Key" not in line:
                        print(f"     {line[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--templates", type=int, default=TEMPLATES_PER_RUN, help="public templates to seed")
    parser.add_argument("--reseed", action="store_true", help="seed again even when the data is there")
    parser.add_argument("--no-explain", action="store_true")
    args = parser.parse_args()

    url = configure()
    import django
    from django.db import connection

    print(
        f"database {urlsplit(url).path.lstrip('/')} on {urlsplit(url).hostname} "
        f"(PostgreSQL {connection.cursor().connection.info.server_version // 10000}), Django {django.get_version()}, "
        f"cache {'Redis' if os.environ['REDIS_URL'] else 'local memory'}"
    )
    if args.reseed or not seeded(args.templates):
        seed(args.templates)
    else:
        print(f"reusing the seeded data ({args.templates} public templates)")
    run(args.requests, explain=not args.no_explain)


if __name__ == "__main__":
    main()

"""The marketplace's categories: one fixed list, so a template lands on a shelf people browse
(free-form categories would split one shelf into "og", "OG images" and "opengraph").

A manifest names its category with ``"category": "<slug>"``; publishing refuses a slug not in
this list (400 ``invalid_category`` with the allowed ones). Tags stay free-form for everything else."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    slug: str
    label: str
    blurb: str


CATEGORIES: tuple[Category, ...] = (
    Category("open-graph", "Open Graph", "Link previews for blogs, docs and launches"),
    Category("social", "Social posts", "Squares, stories and post cards"),
    Category("marketing", "Marketing", "Launches, pricing, testimonials and promos"),
    Category("events", "Events", "Meetups, webinars, countdowns and teasers"),
    Category("media", "Media & video", "Podcasts, thumbnails, lower thirds and intros"),
    Category("developer", "Developer", "Repositories and changelogs"),
    Category("quotes", "Quotes", "Words worth sharing, in any script"),
    Category("ecommerce", "E-commerce", "Sales and product showcases"),
    Category("business", "Business", "Hiring and professional profiles"),
    Category("celebrations", "Celebrations", "Birthdays, awards and certificates"),
)
BY_SLUG: dict[str, Category] = {c.slug: c for c in CATEGORIES}
SLUGS: tuple[str, ...] = tuple(BY_SLUG)


def category_get(slug: str | None) -> Category | None:
    return BY_SLUG.get((slug or "").strip().lower())

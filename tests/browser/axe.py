"""axe-core (vendored: tests/browser/vendor/axe.min.js, 4.10.3, MPL-2.0; nothing fetched at run time)
run on a page the browser tests opened. It is evaluated through the DevTools protocol, which the
site's CSP (scripts only from the site itself) does not govern, so pages are checked as served."""

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")


def axe_violations(page) -> list[str]:
    """The page's serious and critical violations, one line each: rule, impact, the first targets."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;true")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n").slice(1, 2).join(""))}));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {'; '.join(v['targets'])}"
        for v in result
        if v["impact"] in FAILING_IMPACTS
    ]

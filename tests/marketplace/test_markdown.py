from marketplace.markdown import render


def test_subset_and_escaping():
    html = render(
        "# Title\n\nSome `a<b>` and **bold** [link](https://x.dev) [bad](javascript:alert(1))\n\n"
        "- one\n- two <script>\n\n| a | b |\n|---|---|\n| `x` | y |\n\n```\n<tag>\n```\n"
    )
    assert '<h2 id="title">Title</h2>' in html
    assert "<code>a&lt;b&gt;</code>" in html and "<strong>bold</strong>" in html
    assert '<a href="https://x.dev">link</a>' in html and "javascript:" not in html
    assert "<li>two &lt;script&gt;</li>" in html
    assert "<td><code>x</code></td>" in html
    assert '<pre tabindex="0"><code>&lt;tag&gt;</code></pre>' in html

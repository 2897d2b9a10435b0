"""The review console in a real browser: Playwright driving Debian's headless Chromium.

A reviewer signs in, opens an experience from the queue, selects skills and checks that the
highlighted text is exactly each evidence span, decides with the keyboard, corrects one, adds
a missing skill by selecting words, and sees the history. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import copy
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from service.access.roles import Role
from service.app import create_app
from service.settings import PROJECT_ROOT
from tests.conftest import TENANT, bearer, create_keys, make_settings
from tests.experiences import FOOD_DRIVE

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
EXPERIENCE = copy.deepcopy(FOOD_DRIVE) | {
    "narrative": FOOD_DRIVE["narrative"] + " I put <script>window.pwned = 1</script> on a flyer.",
    "options": {"taxonomies": ["ngss-sep", "america-succeeds"], "max_assertions": 5},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The real app served by uvicorn on a free loopback port, with its own database."""
    settings = make_settings(tmp_path_factory.mktemp("browser"))
    reviewer, submitter = create_keys(settings, [(TENANT, Role.REVIEWER),
                                                 (TENANT, Role.SUBMITTER)])
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                            log_config=None, lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 300
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)
    base = f"http://127.0.0.1:{port}"
    posted = httpx.post(f"{base}/v1/extractions", json=EXPERIENCE, headers=bearer(submitter),
                        timeout=60)
    assert posted.status_code == 201, posted.text
    yield {"base": base, "reviewer": reviewer, "extraction": posted.json()}
    uv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def page(server: dict[str, Any]) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed; `make test` installs it")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        yield context.new_page()
        browser.close()


def _lit_text(page: Any) -> dict[str, list[str]]:
    """Per source text, each run of consecutive highlighted pieces."""
    result: dict[str, list[str]] = page.evaluate("""() => {
        const out = {};
        document.querySelectorAll('[data-source]').forEach((el) => {
            const runs = []; let run = null;
            el.childNodes.forEach((node) => {
                const lit = node.nodeType === 1 && node.classList.contains('lit');
                if (lit) { if (run === null) run = ''; run += node.textContent; }
                else if (run !== null) { runs.push(run); run = null; }
            });
            if (run !== null) runs.push(run);
            if (runs.length) out[el.dataset.source] = runs;
        });
        return out;
    }""")
    return result


def _expected_runs(spans: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Spans grouped by source and merged where they touch or overlap, in text order."""
    runs: dict[str, list[list[Any]]] = {}
    for span in sorted(spans, key=lambda s: (s["source"], s["start"])):
        merged = runs.setdefault(span["source"], [])
        if merged and span["start"] <= merged[-1][1]:
            last = merged[-1]
            if span["end"] > last[1]:
                last[2] += span["text"][last[1] - span["start"]:]
                last[1] = span["end"]
        else:
            merged.append([span["start"], span["end"], span["text"]])
    return {source: [r[2] for r in merged] for source, merged in runs.items()}


def _review(server: dict[str, Any]) -> dict[str, Any]:
    response = httpx.get(f"{server['base']}/v1/extractions/{server['extraction']['id']}/review",
                         headers=bearer(server["reviewer"]), timeout=30)
    body: dict[str, Any] = response.json()
    return body


def test_review_an_extraction_end_to_end(server: dict[str, Any], page: Any) -> None:
    extraction = server["extraction"]
    assertions = extraction["assertions"]
    assert len(assertions) >= 4

    # Sign in, then the queue.
    page.goto(f"{server['base']}/review")
    assert page.url.endswith("/review/sign-in")
    page.fill("#key", server["reviewer"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server['base']}/review")
    page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)
    page.click(f"a[href='/review/extractions/{extraction['id']}']")
    page.wait_for_url(f"**/review/extractions/{extraction['id']}*")

    # Learner text is text: the script did not run and shows as written.
    assert page.evaluate("() => window.pwned") is None
    assert "<script>window.pwned = 1</script>" in page.inner_text("[data-source=narrative]")

    # Selecting a skill lights up exactly its evidence spans.
    for assertion in assertions:
        page.click(f"#a-{assertion['id']} h3")
        assert _lit_text(page) == _expected_runs(assertion["evidence_spans"]), assertion["id"]
    page.click(f"#a-{assertions[0]['id']} h3")
    page.screenshot(path=str(ARTIFACTS / "review-extraction.png"), full_page=False)

    # Keyboard: accept the first, the next is selected; reject it.
    page.keyboard.press("a")
    page.wait_for_url(f"**selected={assertions[1]['id']}")
    assert "selected" in (page.get_attribute(f"#a-{assertions[1]['id']}", "class") or "")
    page.keyboard.press("r")
    page.wait_for_url(f"**selected={assertions[2]['id']}")

    # Correct the third: new confidence and a span picked by selecting words.
    third = f"#a-{assertions[2]['id']}"
    narrative = EXPERIENCE["narrative"]
    start = narrative.index("I made a shared schedule")
    end = start + len("I made a shared schedule")
    page.keyboard.press("c")
    page.select_option(f"{third} select[name=confidence]", "low")
    _select_text(page, "narrative", start, end)
    page.click(f"{third} [data-use-selection]")
    assert "I made a shared schedule" in page.inner_text(f"{third} [data-span-preview]")
    page.fill(f"{third} textarea[name=comment]", "Only the schedule shows it.")
    page.click(f"{third} button[value=correct]")
    page.wait_for_url(f"**selected={assertions[3]['id']}")
    page.click(f"{third} h3")
    assert _lit_text(page) == {"narrative": ["I made a shared schedule"]}
    page.click(f"{third} summary")
    assert "Only the schedule shows it." in page.inner_text(f"{third} details.history")

    # Add a missing skill from selected words.
    asserted = {a["skill"]["code"] for a in assertions}
    missing = next(f"SEP{i}" for i in range(1, 9) if f"SEP{i}" not in asserted)
    phrase = "We collected 1,140 items"
    start = narrative.index(phrase)
    _select_text(page, "narrative", start, start + len(phrase))
    page.click("form.add [data-use-selection]")
    page.fill("form.add input[name=skill]", f"ngss-sep:{missing}")
    page.click("form.add button[type=submit]")
    page.wait_for_url("**selected=ra_*")
    added = page.locator(".assertion.selected")
    assert missing in added.inner_text()
    assert _lit_text(page) == {"narrative": [phrase]}

    # Decide the rest with the keyboard; the review is then complete.
    for assertion in assertions[3:]:
        page.click(f"#a-{assertion['id']} h3")
        with page.expect_navigation():
            page.keyboard.press("a")
    page.wait_for_selector("[data-review-status]")
    assert page.inner_text("[data-review-status]").strip().lower() == "reviewed"
    page.click(f"#a-{assertions[2]['id']} h3")
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "review-reviewed.png"))

    review = _review(server)
    assert review["review_status"] == "reviewed"
    statuses = [a["status"] for a in review["assertions"]]
    assert statuses[:3] == ["accepted", "rejected", "corrected"]
    assert statuses[-1] == "added"
    assert review["assertions"][2]["evidence_spans"][0]["text"] == "I made a shared schedule"


def _select_text(page: Any, source: str, start: int, end: int) -> None:
    """Select characters [start, end) of a source text, as a reviewer would with the mouse."""
    page.evaluate("""([source, start, end]) => {
        const root = document.querySelector(`[data-source="${source}"]`);
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        const range = document.createRange();
        let seen = 0, node;
        while ((node = walker.nextNode())) {
            const next = seen + node.length;
            if (start >= seen && start <= next) range.setStart(node, start - seen);
            if (end >= seen && end <= next) { range.setEnd(node, end - seen); break; }
            seen = next;
        }
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
    }""", [source, start, end])

package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// sidewaysScroll is the page script that names what makes the page wider
// than the window: nothing when the page fits. A table may be wider than a
// phone inside its own scrolling box, with a hint that it scrolls; the page
// itself never scrolls sideways.
const sidewaysScroll = `(function () {
  var root = document.documentElement, width = root.clientWidth;
  if (root.scrollWidth <= width) return [];
  var out = [];
  // Inside a box that scrolls (or clips) sideways, such as a table at a
  // phone's width, an element is that box's business, not the page's.
  function clipped(el) {
    for (var p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  }
  document.querySelectorAll("body *").forEach(function (el) {
    if (out.length >= 5 || clipped(el)) return;
    var r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1) return;
    var p = el.parentElement;
    if (p && p !== document.body && p.getBoundingClientRect().right > width + 1 && !clipped(p)) return;
    var name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
    out.push(name + " reaches " + Math.round(r.right) + " px");
  });
  if (!out.length) out.push("the page is " + root.scrollWidth + " px wide");
  return out;
})()`

// mustFitWidth fails the test if the page the browser is on scrolls
// sideways at its current width, naming the elements that stick out.
func mustFitWidth(tb testing.TB, ctx context.Context, name string, width int64) {
	tb.Helper()
	if wide := mustEval[[]string](tb, ctx, sidewaysScroll); len(wide) > 0 {
		tb.Errorf("%s scrolls sideways at %d px: %q", name, width, wide)
	}
}

// mustFitPhoneAndDesktop checks the page the browser is on at a desktop's
// 1280 px and a phone's 390 px, then gives the browser its window back.
func mustFitPhoneAndDesktop(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	for _, width := range []int64{1280, 390} {
		mustDo(tb, ctx, chromedp.EmulateViewport(width, 844))
		mustFitWidth(tb, ctx, name, width)
	}
	// Not ResetViewport: its override keeps the phone's width.
	if _, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err != nil {
		tb.Fatalf("back to the window's width: %v", err)
	}
	// The page lays itself out again after the override is gone; a click
	// aimed before then lands where the element was at the phone's width
	// (a checkbox left unticked, seen in CI).
	mustDo(tb, ctx, chromedp.Poll[chromedp.Void]("document.documentElement.clientWidth > 390",
		chromedp.WithPollingTimeout(5*time.Second)))
}

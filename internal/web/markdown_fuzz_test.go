package web

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// allowedDescriptionTags are the elements a rendered description may hold:
// text formatting, lists, links, tables and images, nothing that runs,
// styles, embeds or submits.
var allowedDescriptionTags = map[string]bool{
	"p": true, "br": true, "strong": true, "em": true, "b": true, "i": true, "del": true, "s": true, "code": true, "pre": true,
	"blockquote": true, "ul": true, "ol": true, "li": true, "a": true, "hr": true, "img": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
}

// safeURL reports whether a link or image address may appear on a page:
// relative, or http, https or mailto, read as a browser reads it (case
// and the tabs and newlines browsers ignore do not matter).
func safeURL(v string) bool {
	v = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r < ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(v)))
	scheme, _, found := strings.Cut(v, ":")
	if !found || strings.ContainsAny(scheme, "/?#") {
		return true // no scheme: a relative address
	}
	return scheme == "http" || scheme == "https" || scheme == "mailto"
}

// FuzzEventDescriptionMarkdown: whatever an organizer writes, the rendered
// description holds only allowed elements, no event handler or style
// attribute, and only safe link and image addresses.
func FuzzEventDescriptionMarkdown(f *testing.F) {
	for _, seed := range []string{
		"Doors open at **8:30**.", "One\ntwo\n\nThree", "- [Venue](https://example.com/venue)\n- item",
		"Hi <script>alert(1)</script> there\n\n<script>\nalert(2)\n</script>", `<img src="x" onerror="alert(1)">`,
		"[click](javascript:alert(1))", "[click](jav&#x09;ascript:alert(1))", "<javascript:alert(1)>",
		"<div onclick=\"x()\">text</div>", "5 < 6 & \"quotes\"", "![x](data:text/html;base64,PHNjcmlwdD4=)",
		"| a | b |\n|---|---|\n| <b>1</b> | [x](vbscript:msgbox) |", "<svg><script>alert(1)</script></svg>",
		"<a href=\"  JaVaScRiPt:alert(1)\">x</a>", "www.example.com/path?q=<script>", "~~gone~~ `code <b>`",
		"<style>body{display:none}</style>", "<iframe src=https://evil.example></iframe>", "[a](\x01javascript:alert(1))",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := string(paragraphs(in))
		z := html.NewTokenizer(strings.NewReader(out))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				return
			}
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			tok := z.Token()
			if !allowedDescriptionTags[tok.Data] {
				t.Fatalf("description %q renders a <%s> element:\n%s", in, tok.Data, out)
			}
			for _, a := range tok.Attr {
				key := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(key, "on"), key == "style", key == "srcdoc", key == "formaction":
					t.Fatalf("description %q renders attribute %s on <%s>:\n%s", in, a.Key, tok.Data, out)
				case (key == "href" || key == "src" || key == "cite") && !safeURL(a.Val):
					t.Fatalf("description %q renders %s=%q on <%s>:\n%s", in, a.Key, a.Val, tok.Data, out)
				}
			}
		}
	})
}

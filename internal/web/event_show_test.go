package web

import (
	"strings"
	"testing"
)

// TestEventDescriptionMarkdown: the organizer's Markdown becomes HTML on the
// public page, and nothing in it becomes live markup or script.
func TestEventDescriptionMarkdown(t *testing.T) {
	for _, tt := range []struct {
		name    string
		in      string
		want    []string
		wantNot []string
	}{
		{"bold", "Doors open at **8:30**.", []string{"<p>Doors open at <strong>8:30</strong>.</p>"}, nil},
		{"paragraphs and line breaks", "One\ntwo\n\nThree", []string{"<p>One<br", "two</p>", "<p>Three</p>"}, nil},
		{"list and link", "- [Venue](https://example.com/venue)\n- item", []string{"<li><a href=\"https://example.com/venue\"", "<li>item</li>"}, nil},
		{"script tag", "Hi <script>alert(1)</script> there\n\n<script>\nalert(2)\n</script>", nil, []string{"<script", "alert(2)"}},
		{"inline handler", `<img src="x" onerror="alert(1)">`, nil, []string{"onerror", "<img"}},
		{"javascript link", "[click](javascript:alert(1))", []string{"click"}, []string{"javascript:", "href"}},
		{"javascript link with entity", "[click](jav&#x09;ascript:alert(1))", []string{"click"}, []string{"javascript:", "alert(1)\""}},
		{"autolink", "<javascript:alert(1)>", nil, []string{"href=\"javascript"}},
		{"raw html block", "<div onclick=\"x()\">text</div>", nil, []string{"<div", "onclick"}},
		{"escaped text", "5 < 6 & \"quotes\"", []string{"5 &lt; 6 &amp; &#34;quotes&#34;"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := string(paragraphs(tt.in))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("paragraphs(%q) = %q, want it to contain %q", tt.in, got, w)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("paragraphs(%q) = %q, must not contain %q", tt.in, got, w)
				}
			}
		})
	}
}

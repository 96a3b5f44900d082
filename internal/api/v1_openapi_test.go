package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/admithq/admit/internal/api/v1"
	client "github.com/admithq/admit/pkg/admit"
)

// openAPIDoc is the embedded document, parsed.
type openAPIDoc map[string]any

func mustOpenAPI(tb testing.TB) openAPIDoc {
	tb.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(v1.OpenAPI, &doc); err != nil {
		tb.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

var echoParam = regexp.MustCompile(`:([a-z_]+)`)

// template turns an echo route into an OpenAPI path: /orders/:order is
// /orders/{order}.
func template(echoPath string) string { return echoParam.ReplaceAllString(echoPath, "{$1}") }

func (d openAPIDoc) operation(path, method string) map[string]any {
	item, _ := d["paths"].(map[string]any)[path].(map[string]any)
	op, _ := item[strings.ToLower(method)].(map[string]any)
	return op
}

// resolve follows a local $ref.
func (d openAPIDoc) resolve(v map[string]any) map[string]any {
	for {
		ref, ok := v["$ref"].(string)
		if !ok {
			return v
		}
		var cur any = map[string]any(d)
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, _ := cur.(map[string]any)
			cur = m[part]
		}
		next, ok := cur.(map[string]any)
		if !ok {
			panic("unresolvable $ref " + ref)
		}
		v = next
	}
}

// responseSchema returns the JSON schema the document declares for the
// operation's answer with status.
func (d openAPIDoc) responseSchema(tb testing.TB, path, method string, status int) map[string]any {
	tb.Helper()
	op := d.operation(path, method)
	if op == nil {
		tb.Fatalf("%s %s is not in the OpenAPI document", method, path)
	}
	responses := op["responses"].(map[string]any)
	r, ok := responses[fmt.Sprint(status)].(map[string]any)
	if !ok {
		tb.Fatalf("%s %s does not declare a %d response", method, path, status)
	}
	r = d.resolve(r)
	schema, _ := r["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	if schema == nil {
		tb.Fatalf("%s %s %d has no JSON schema", method, path, status)
	}
	return schema
}

// check validates v against the subset of JSON Schema the document uses:
// $ref, anyOf, type (one or a list), properties, required,
// additionalProperties false, items, enum, format date-time, minimum.
func (d openAPIDoc) check(at string, schema map[string]any, v any) []string {
	schema = d.resolve(schema)
	if anyOf, ok := schema["anyOf"].([]any); ok {
		var all []string
		for _, alt := range anyOf {
			problems := d.check(at, alt.(map[string]any), v)
			if len(problems) == 0 {
				return nil
			}
			all = append(all, problems...)
		}
		return []string{at + ": matches no alternative of anyOf: " + strings.Join(all, "; ")}
	}
	var types []string
	switch t := schema["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			types = append(types, x.(string))
		}
	}
	if len(types) > 0 && !slices.Contains(types, jsonType(v)) && !(jsonType(v) == "integer" && slices.Contains(types, "number")) {
		return []string{fmt.Sprintf("%s: %s, want %v", at, jsonType(v), types)}
	}
	var problems []string
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		problems = append(problems, fmt.Sprintf("%s: %v is not one of %v", at, v, enum))
	}
	switch v := v.(type) {
	case string:
		if schema["format"] == "date-time" {
			if t, err := time.Parse(time.RFC3339Nano, v); err != nil {
				problems = append(problems, at+": not an RFC 3339 time: "+v)
			} else if !strings.HasSuffix(v, "Z") || t.Location() != time.UTC {
				problems = append(problems, at+": not in UTC: "+v)
			}
		}
	case json.Number:
		if min, ok := schema["minimum"].(float64); ok {
			if f, _ := v.Float64(); f < min {
				problems = append(problems, fmt.Sprintf("%s: %s below the minimum %v", at, v, min))
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range v {
				problems = append(problems, d.check(fmt.Sprintf("%s[%d]", at, i), items, it)...)
			}
		}
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asStrings(schema["required"]) {
			if _, ok := v[r]; !ok {
				problems = append(problems, at+": lacks required property "+r)
			}
		}
		for k, val := range v {
			ps, declared := props[k].(map[string]any)
			if !declared {
				if schema["additionalProperties"] == false {
					problems = append(problems, at+": property "+k+" is not in the document")
				}
				continue
			}
			problems = append(problems, d.check(at+"."+k, ps, val)...)
		}
	}
	return problems
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, x.(string))
	}
	return out
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if strings.ContainsAny(v.String(), ".eE") {
			return "number"
		}
		return "integer"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// mustMatch checks that the answer r to method path has the status and a
// body matching the schema the document declares for it.
func (d openAPIDoc) mustMatch(tb testing.TB, method, echoPath string, status int, r response) {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("%s %s: %d %s, want %d", method, echoPath, r.status, r.body, status)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("%s %s: not JSON: %v", method, echoPath, err)
	}
	if problems := d.check("body", d.responseSchema(tb, template(echoPath), method, status), v); len(problems) > 0 {
		tb.Errorf("%s %s %d does not match the document:\n  %s", method, echoPath, status, strings.Join(problems, "\n  "))
	}
	// A list must hold something, or its items were never checked.
	if m, ok := v.(map[string]any); ok && method == "GET" {
		if data, ok := m["data"].([]any); ok && len(data) == 0 {
			tb.Errorf("GET %s: the sample list is empty, so its items are unchecked", echoPath)
		}
	}
}

// TestV1OpenAPIDescribesEveryRoute: every /api/v1 route is in the document
// and every operation of the document is a route, with its path
// parameters declared and every $ref resolvable.
func TestV1OpenAPIDescribesEveryRoute(t *testing.T) {
	f := mustV1Fixture(t)
	doc := mustOpenAPI(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi %v, want 3.1.0", doc["openapi"])
	}
	r := f.raw(t, "GET", "/api/v1/openapi.json", "", "", "", nil)
	if r.status != 200 || !bytes.Equal(r.body, v1.OpenAPI) {
		t.Errorf("GET /api/v1/openapi.json without a token: %d", r.status)
	}
	routes := map[string]bool{}
	for _, rt := range f.echo.Routes() {
		if !strings.HasPrefix(rt.Path, "/api/v1/") || strings.HasPrefix(rt.Method, "echo_") {
			continue
		}
		routes[rt.Method+" "+template(rt.Path)] = true
		if doc.operation(template(rt.Path), rt.Method) == nil {
			t.Errorf("route %s %s is missing from openapi.json (as %s)", rt.Method, rt.Path, template(rt.Path))
		}
	}
	if len(routes) < 20 {
		t.Fatalf("only %d routes under /api/v1", len(routes))
	}
	pathParam := regexp.MustCompile(`\{([a-z_]+)\}`)
	for path, item := range doc["paths"].(map[string]any) {
		item := item.(map[string]any)
		declared := map[string]bool{}
		for _, p := range asMaps(item["parameters"]) {
			p = doc.resolve(p)
			if p["in"] == "path" {
				declared[p["name"].(string)] = true
			}
		}
		for method, op := range item {
			if method == "parameters" {
				continue
			}
			if !routes[strings.ToUpper(method)+" "+path] {
				t.Errorf("openapi.json describes %s %s, which is no route", strings.ToUpper(method), path)
			}
			opParams := map[string]bool{}
			for k := range declared {
				opParams[k] = true
			}
			for _, p := range asMaps(op.(map[string]any)["parameters"]) {
				p = doc.resolve(p)
				if p["in"] == "path" {
					opParams[p["name"].(string)] = true
				}
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				if !opParams[m[1]] {
					t.Errorf("%s %s does not declare its path parameter %s", strings.ToUpper(method), path, m[1])
				}
			}
			if _, ok := op.(map[string]any)["responses"].(map[string]any); !ok {
				t.Errorf("%s %s has no responses", strings.ToUpper(method), path)
			}
		}
	}
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				func() {
					defer func() {
						if recover() != nil {
							t.Errorf("%s: $ref %s does not resolve", at, ref)
						}
					}()
					doc.resolve(v)
				}()
			}
			for k, x := range v {
				walk(at+"/"+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s/%d", at, i), x)
			}
		}
	}
	walk("#", map[string]any(doc))
}

func asMaps(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, x := range list {
		out = append(out, x.(map[string]any))
	}
	return out
}

// TestV1OpenAPIResponsesMatch requests every GET route of the API with
// real data, and a sample of each write and error, and checks each answer
// against the schema the document declares for it.
func TestV1OpenAPIResponsesMatch(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	doc := mustOpenAPI(t)
	a := f.a
	c := f.client(a, "all")
	q, _ := f.mustQuestionAndCode(t, a)
	order, err := c.Orders.Create(ctx, client.OrderCreateParams{EventID: a.event.ID, Buyer: client.Person{Name: "Ada", Email: "ada@example.com"},
		Items: []client.OrderItem{{TicketTypeID: a.paid.ID, Quantity: 2}}, PaymentMethod: "offline", MarkPaid: true,
		Attendees: []client.Attendee{{Name: "Ada", Answers: map[int64]string{q.ID: "L"}}, {Name: "Alan"}}})
	if err != nil {
		t.Fatal(err)
	}
	ci, err := c.CheckInLists.CheckIn(ctx, a.list.ID, order.Tickets[0].Code)
	if err != nil {
		t.Fatal(err)
	}
	entry := f.mustWaitlistEntry(t, a, a.free, "grace@example.com")
	export, err := c.Exports().Create(ctx, client.ExportCreateParams{EventID: a.event.ID, Kind: client.ExportOrders, Format: client.ExportCSV})
	if err != nil {
		t.Fatal(err)
	}
	endpoint, err := c.WebhookEndpoints().Create(ctx, client.WebhookEndpointCreateParams{URL: publicURL, EventTypes: []string{"order.paid"}})
	if err != nil {
		t.Fatal(err)
	}
	f.mustDelivery(t, a)
	delivery := int64(f.count(t, `SELECT MAX(id) FROM webhook_deliveries`))
	token := a.secrets["all"]
	values := map[string]string{"event": id(a.event.ID), "ticket_type": id(a.paid.ID), "order": id(order.ID),
		"ticket": id(order.Tickets[0].ID), "list": id(a.list.ID), "checkin": id(ci.CheckIn.ID),
		"entry": id(entry), "export": id(export.ID), "endpoint": id(endpoint.ID), "delivery": id(delivery)}
	fill := func(echoPath string) string {
		return echoParam.ReplaceAllStringFunc(echoPath, func(p string) string {
			v, ok := values[p[1:]]
			if !ok {
				t.Fatalf("no sample value for %s in %s", p, echoPath)
			}
			return v
		})
	}
	var gets []string
	for _, rt := range f.echo.Routes() {
		// A download answers with the file, not JSON; its refusal is checked below.
		if rt.Method == "GET" && strings.HasPrefix(rt.Path, "/api/v1/") && rt.Path != "/api/v1/openapi.json" && !strings.HasSuffix(rt.Path, "/download") {
			gets = append(gets, rt.Path)
		}
	}
	sort.Strings(gets)
	for _, path := range gets {
		t.Run("GET "+path, func(t *testing.T) {
			queries := []string{""}
			if strings.HasPrefix(path, "/api/v1/orders") {
				queries = append(queries, "?expand=lines,tickets")
			}
			for _, query := range queries {
				doc.mustMatch(t, "GET", path, 200, f.raw(t, "GET", fill(path)+query, token, "", "", nil))
			}
		})
	}

	// Writes and errors.
	pending := f.mustOrder(t, a, "offline")
	for _, w := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/api/v1/orders", `{"event_id":` + id(a.event.ID) + `,"buyer":{"name":"B","email":"b@example.com"},"items":[{"ticket_type_id":` + id(a.free.ID) + `,"quantity":1}]}`, 201},
		{"POST", "/api/v1/orders", `{"event_id":` + id(a.event.ID) + `,"items":[]}`, 422},
		{"POST", "/api/v1/orders", `{"event_id":`, 400},
		{"POST", "/api/v1/orders/" + id(pending.ID) + "/mark-paid", ``, 200},
		{"POST", "/api/v1/orders/" + id(pending.ID) + "/cancel", ``, 409},
		{"POST", "/api/v1/orders/" + id(order.ID) + "/refund", `{"ticket_ids":[` + id(order.Tickets[1].ID) + `]}`, 201},
		{"PATCH", "/api/v1/tickets/" + id(order.Tickets[0].ID), `{"attendee_email":"ada@example.org"}`, 200},
		{"POST", "/api/v1/tickets/" + id(pending.Tickets[0].ID) + "/void", ``, 200},
		{"POST", "/api/v1/checkin-lists/" + id(a.list.ID) + "/checkins", `{"code":"` + order.Tickets[0].Code + `"}`, 409},
		{"DELETE", "/api/v1/checkin-lists/" + id(a.list.ID) + "/checkins/" + id(ci.CheckIn.ID), ``, 200},
		{"POST", "/api/v1/checkin-lists/" + id(a.list.ID) + "/checkins", `{"code":"` + order.Tickets[0].Code + `"}`, 201},
		{"POST", "/api/v1/events/" + id(a.event.ID) + "/discount-codes", `{"code":"VIP","kind":"percent","value":5000,"max_uses":3}`, 201},
		{"GET", "/api/v1/orders/987654", ``, 404},
		{"POST", "/api/v1/waitlist/" + id(entry) + "/offer", `{"hours":48}`, 200},
		{"POST", "/api/v1/waitlist/" + id(entry) + "/offer", `{"hours":48}`, 409},
		{"POST", "/api/v1/exports", `{"event_id":` + id(a.event.ID) + `,"kind":"attendees","format":"xlsx"}`, 202},
		{"POST", "/api/v1/exports", `{"event_id":` + id(a.event.ID) + `,"kind":"attendees","format":"xlsx"}`, 200},
		{"POST", "/api/v1/exports", `{"event_id":` + id(a.event.ID) + `,"kind":"payments","format":"xlsx"}`, 422},
		{"GET", "/api/v1/exports/" + id(export.ID) + "/download", ``, 409},
		{"POST", "/api/v1/webhook-endpoints", `{"url":"` + publicURL + `","event_types":["order.placed"]}`, 201},
		{"PATCH", "/api/v1/webhook-endpoints/" + id(endpoint.ID), `{"description":"CRM"}`, 200},
		{"POST", "/api/v1/webhook-endpoints/" + id(endpoint.ID) + "/deliveries/" + id(delivery) + "/redeliver", ``, 202},
	} {
		echoPath := echoPathOf(t, f, w.method, w.path)
		r := f.raw(t, w.method, w.path, token, "application/json", w.body, nil)
		doc.mustMatch(t, w.method, echoPath, w.status, r)
		if w.status == 409 && strings.HasSuffix(echoPath, "/checkins") {
			var p struct{ Detail json.RawMessage }
			json.Unmarshal(r.body, &p)
			dec := json.NewDecoder(bytes.NewReader(p.Detail))
			dec.UseNumber()
			var detail any
			dec.Decode(&detail)
			if problems := doc.check("detail", map[string]any{"$ref": "#/components/schemas/CheckInResult"}, detail); len(problems) > 0 {
				t.Errorf("a refused check-in's detail does not match CheckInResult: %v", problems)
			}
		}
	}
	doc.mustMatch(t, "GET", "/api/v1/me", 401, f.raw(t, "GET", "/api/v1/me", "", "", "", nil))
	doc.mustMatch(t, "GET", "/api/v1/orders", 403, f.raw(t, "GET", "/api/v1/orders", a.secrets["checkin"], "", "", nil))
	doc.mustMatch(t, "GET", "/api/v1/orders", 422, f.raw(t, "GET", "/api/v1/orders?limit=1e9", token, "", "", nil))
}

// echoPathOf finds the route a request path takes.
func echoPathOf(tb testing.TB, f *v1Fixture, method, path string) string {
	tb.Helper()
	for _, rt := range f.echo.Routes() {
		if rt.Method != method || !strings.HasPrefix(rt.Path, "/api/v1/") {
			continue
		}
		pattern := "^" + echoParam.ReplaceAllString(regexp.QuoteMeta(rt.Path), `[^/]+`) + "$"
		if regexp.MustCompile(pattern).MatchString(path) {
			return rt.Path
		}
	}
	tb.Fatalf("no route for %s %s", method, path)
	return ""
}

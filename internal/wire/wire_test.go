package wire_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/admithq/admit/internal/wire"
	client "github.com/admithq/admit/pkg/admit"
)

// jsonShape is a type's JSON fields, each with its tag's options and the
// shape of what it holds, recursively: what a client decoding the answer
// depends on.
func jsonShape(t reflect.Type) map[string]string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	shape := map[string]string{}
	if t.Kind() != reflect.Struct || t.PkgPath() == "time" {
		return shape
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		kind := ft.Kind().String()
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			kind += "/" + ft.Elem().Kind().String()
			ft = ft.Elem()
		}
		if ft.PkgPath() == "time" {
			kind += "/time"
		}
		shape[name] = kind + " " + opts
		for sub, s := range jsonShape(ft) {
			shape[name+"."+sub] = s
		}
	}
	return shape
}

// TestClientMirrorsWire: pkg/admit, the Go client integrators use, decodes
// exactly the fields the API and webhooks send, with the same types and
// omitempty options. Change one and this fails until the other follows.
func TestClientMirrorsWire(t *testing.T) {
	for _, pair := range []struct {
		name         string
		wire, client any
	}{
		{"Order", wire.Order{}, client.Order{}},
		{"Ticket", wire.Ticket{}, client.Ticket{}},
		{"OrderLine", wire.OrderLine{}, client.OrderLine{}},
		{"Answer", wire.Answer{}, client.Answer{}},
		{"Person", wire.Person{}, client.Person{}},
	} {
		w, c := jsonShape(reflect.TypeOf(pair.wire)), jsonShape(reflect.TypeOf(pair.client))
		if len(w) == 0 {
			t.Fatalf("%s: no JSON fields found", pair.name)
		}
		for field, shape := range w {
			if c[field] != shape {
				t.Errorf("%s.%s: the API sends %q, pkg/admit has %q", pair.name, field, shape, c[field])
			}
		}
		for field, shape := range c {
			if _, ok := w[field]; !ok {
				t.Errorf("%s.%s: pkg/admit expects %q, the API never sends it", pair.name, field, shape)
			}
		}
	}
}

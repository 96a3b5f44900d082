package mysql_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysqltest"
)

// TestSetFlagConcurrentFirstChanges: changes racing on a flag nobody has
// set yet are recorded one after the other, each replacing the setting the
// one before it left, so exactly one of them replaced "off"; and each
// flag's latest change is the one that set it as it is.
func TestSetFlagConcurrentFirstChanges(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	const flags, writers = 10, 6
	for i := range flags {
		name := fmt.Sprintf("race.flag_%d", i)
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f, _ := admit.ParseFlag(name, fmt.Sprintf("%d%%", w+1))
				if _, err := db.SetFlag(ctx, f, "writer"); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	changes, err := db.FlagChanges(ctx, 1000) // newest first
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]string{}
	for i := len(changes) - 1; i >= 0; i-- {
		c := changes[i]
		prev, ok := last[c.Name]
		if !ok {
			prev = "off"
		}
		if c.Old != prev {
			t.Errorf("%s: a change from %s follows one that left %s", c.Name, c.Old, prev)
		}
		last[c.Name] = c.New
	}
	stored, err := db.ListFlags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := db.LatestFlagChanges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != flags || len(latest) != flags || len(changes) != flags*writers {
		t.Fatalf("%d flags stored, %d with a latest change, %d changes; want %d, %d, %d", len(stored), len(latest), len(changes), flags, flags, flags*writers)
	}
	for _, f := range stored {
		if f.String() != last[f.Name] || latest[f.Name].New != f.String() || latest[f.Name].By != "writer" {
			t.Errorf("%s is %s; its last change in order left %s, its latest change says %+v", f.Name, f, last[f.Name], latest[f.Name])
		}
	}
}

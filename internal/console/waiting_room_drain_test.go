package console

import "testing"

func TestDrainTime(t *testing.T) {
	for _, tt := range []struct {
		name    string
		waiting int64
		rate    int
		want    string
	}{
		{"nobody", 0, 60, "under a minute"},
		{"a few", 6, 60, "under a minute"},
		{"one minute", 60, 60, "1 minute"},
		{"a started minute counts", 61, 60, "2 minutes"},
		{"hours", 7200, 60, "2 h"},
		{"hours and minutes", 7500, 60, "2 h 5 min"},
		{"rate zero", 3, 0, "3 minutes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := drainTime(tt.waiting, tt.rate); got != tt.want {
				t.Errorf("drainTime(%d, %d) = %q, want %q", tt.waiting, tt.rate, got, tt.want)
			}
		})
	}
}

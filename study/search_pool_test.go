package study

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// TestSearchPool checks Search's worker pool: with two workers every trial
// runs and is reported once; a search cancelled from its first report
// starts no new trial (the one already waiting for a worker is
// interrupted) and returns the cancellation.
func TestSearchPool(t *testing.T) {
	d := smallData(t)
	base, _ := ZooByName("baseline-adam")
	sp, _ := ParseSpace("lr=0.001,0.003;hidden=16,32")
	cfg := SearchConfig{Method: "grid", Base: base, Space: sp, Epochs: 1, Seed: 5}

	var mu sync.Mutex
	seen := map[int]int{}
	cfg.Workers = 2
	cfg.OnTrial = func(done, total int, tr Trial) {
		mu.Lock()
		defer mu.Unlock()
		seen[tr.Index]++
		if done != len(seen) || total != 4 {
			t.Errorf("OnTrial(done %d, total %d) after %d distinct trials; want done = trials so far, total 4", done, total, len(seen))
		}
	}
	r, err := Search(context.Background(), cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 4 {
		t.Errorf("%d trials reported (%v); want all 4", len(seen), seen)
	}
	for _, tr := range r.Trials {
		if seen[tr.Index] != 1 || tr.Err != "" || tr.Seconds <= 0 || tr.ValAccuracy <= 0 {
			t.Errorf("trial %d: reported %d times, error %q, %v s, val accuracy %v; want run once", tr.Index, seen[tr.Index], tr.Err, tr.Seconds, tr.ValAccuracy)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reports := 0
	cfg.Workers = 1
	cfg.OnTrial = func(done, total int, tr Trial) {
		reports++ // one worker: one goroutine at a time
		cancel()
	}
	if _, err := Search(ctx, cfg, d); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Search error = %v; want context.Canceled", err)
	}
	if reports > 2 {
		t.Errorf("cancelled after the first trial, the search reported %d trials; want at most 2 (the finished one and the one waiting for the worker)", reports)
	}
}

package study

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/mnist"
)

func TestParseSpace(t *testing.T) {
	sp, err := ParseSpace(DefaultSpace)
	if err != nil {
		t.Fatal(err)
	}
	if len(sp) != 5 {
		t.Fatalf("ParseSpace(DefaultSpace) has %d dimensions; want 5", len(sp))
	}
	r, err := ParseSpace("lr=1e-4..1e-2; hidden=32..256")
	if err != nil || r[0].Lo != 1e-4 || r[0].Hi != 1e-2 || r[1].Hi != 256 {
		t.Fatalf("ParseSpace(ranges) = %+v, %v", r, err)
	}
	for _, bad := range []string{"", "lr", "momentum=0.9", "lr=0", "lr=-1..1", "batch=0", "batch=1.5", "dropout=1",
		"optimizer=rmsprop", "optimizer=a..b", "lr=0.1;lr=0.2", "hidden=abc", "lr=2..1"} {
		if _, err := ParseSpace(bad); err == nil {
			t.Errorf("ParseSpace(%q) = nil error; want one", bad)
		}
	}
}

func TestPlanTrials(t *testing.T) {
	base, err := ZooByName("baseline-adam")
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := ParseSpace("lr=0.001,0.01;hidden=32,64,128;optimizer=adam,sgd")
	grid, err := planTrials(SearchConfig{Method: "grid", Base: base, Space: sp, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(grid) != 12 {
		t.Fatalf("grid has %d trials; want 2·3·2 = 12", len(grid))
	}
	seen := map[string]bool{}
	for _, tr := range grid {
		seen[paramKey(tr.Params)] = true
		if tr.recipe.Spec.Layers[0].Units != int(tr.Params["hidden"].(float64)) {
			t.Errorf("trial %v built a first layer of %d units", tr.Params, tr.recipe.Spec.Layers[0].Units)
		}
	}
	if len(seen) != 12 {
		t.Errorf("grid has %d distinct points; want 12", len(seen))
	}
	capped, _ := planTrials(SearchConfig{Method: "grid", Trials: 5, Base: base, Space: sp, Seed: 1})
	if len(capped) != 5 {
		t.Errorf("grid capped at 5 has %d trials", len(capped))
	}
	rsp, _ := ParseSpace("lr=1e-4..1e-1;dropout=0..0.5")
	a, _ := planTrials(SearchConfig{Method: "random", Trials: 20, Base: base, Space: rsp, Seed: 3})
	b, _ := planTrials(SearchConfig{Method: "random", Trials: 20, Base: base, Space: rsp, Seed: 3})
	c, _ := planTrials(SearchConfig{Method: "random", Trials: 20, Base: base, Space: rsp, Seed: 4})
	for i := range a {
		if paramKey(a[i].Params) != paramKey(b[i].Params) {
			t.Fatalf("random search with one seed differs at trial %d: %v vs %v", i, a[i].Params, b[i].Params)
		}
		lr := a[i].Params["lr"].(float64)
		if lr < 1e-4 || lr > 1e-1 {
			t.Errorf("sampled lr %v outside the range", lr)
		}
	}
	if paramKey(a[0].Params) == paramKey(c[0].Params) && paramKey(a[1].Params) == paramKey(c[1].Params) {
		t.Error("seeds 3 and 4 sampled the same trials")
	}
	if _, err := planTrials(SearchConfig{Method: "grid", Base: base, Space: rsp}); err == nil {
		t.Error("grid search over ranges = nil error")
	}
}

func paramKey(p map[string]any) string {
	s := ""
	for _, k := range searchKeys {
		if v, ok := p[k]; ok {
			s += k + "=" + fmtAny(v) + ";"
		}
	}
	return s
}

func fmtAny(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return formatFloat(x)
	}
	return "?"
}

// smallData is a 2000/500/500 slice of MNIST for quick end-to-end tests.
func smallData(t *testing.T) *Data {
	t.Helper()
	dir, err := mnist.Locate("")
	if err != nil {
		t.Skipf("skipping: MNIST not found: %v", err)
	}
	full, err := mnist.LoadTrain(dir)
	if err != nil {
		t.Fatal(err)
	}
	test, err := mnist.LoadTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx := func(lo, n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = lo + i
		}
		return s
	}
	return &Data{Train: full.Subset(idx(0, 2000)), Val: full.Subset(idx(2000, 500)), Test: test.Subset(idx(0, 500)), SHA256: "test"}
}

// TestSearchSameWithAnyWorkers runs a small search with one and with two
// workers and expects the same sorted table, bit for bit.
func TestSearchSameWithAnyWorkers(t *testing.T) {
	d := smallData(t)
	base, _ := ZooByName("baseline-adam")
	sp, _ := ParseSpace("lr=0.001,0.003;hidden=16,32")
	run := func(workers int) *SearchResult {
		r, err := Search(context.Background(), SearchConfig{Method: "grid", Base: base, Space: sp, Epochs: 1, Seed: 5, Workers: workers}, d)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	one, two := run(1), run(2)
	for i := range one.Trials {
		a, b := one.Trials[i], two.Trials[i]
		if a.Index != b.Index || a.ValAccuracy != b.ValAccuracy || a.ValLoss != b.ValLoss {
			t.Fatalf("trial %d: 1 worker %+v; 2 workers %+v", i, a, b)
		}
	}
	if one.Winner.Result.TestAccuracy == 0 || one.Winner.Result.TestAccuracy != two.Winner.Result.TestAccuracy {
		t.Fatalf("winner test accuracy %v vs %v", one.Winner.Result.TestAccuracy, two.Winner.Result.TestAccuracy)
	}
	for i := 1; i < len(one.Trials); i++ {
		if one.Trials[i].ValAccuracy > one.Trials[i-1].ValAccuracy {
			t.Fatalf("trials not sorted best first: %v", one.Trials)
		}
	}
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// FuzzParseSpace feeds arbitrary --space strings: never a panic, and every
// accepted space plans a grid or random search without error.
func FuzzParseSpace(f *testing.F) {
	for _, s := range []string{DefaultSpace, "lr=1e-4..1e-2;hidden=32..256", "optimizer=adam", "lr=;", "batch=1,2,3;dropout=0..0.9", "lr=1e308..1e309"} {
		f.Add(s)
	}
	base, err := ZooByName("baseline-adam")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpace(s)
		if err != nil {
			return
		}
		if _, err := planTrials(SearchConfig{Method: "random", Trials: 3, Base: base, Space: sp, Seed: 1}); err != nil {
			t.Fatalf("ParseSpace(%q) accepted a space that random search rejects: %v", s, err)
		}
	})
}

// TestSearchReady runs the search with a ready channel per worker: with the
// second closed only after the first worker has trained every trial, and
// with both closed at once, the sorted table and the winner are the same
// as with one plain worker; OnStart is called once. A search cancelled
// before any channel closes returns the context's error having trained
// nothing.
func TestSearchReady(t *testing.T) {
	d := smallData(t)
	base, _ := ZooByName("baseline-adam")
	sp, _ := ParseSpace("lr=0.001,0.003;hidden=16,32")
	cfg := SearchConfig{Method: "grid", Base: base, Space: sp, Epochs: 1, Seed: 5}
	plain := cfg
	plain.Workers = 1
	want, err := Search(context.Background(), plain, d)
	if err != nil {
		t.Fatal(err)
	}
	same := func(name string, got *SearchResult) {
		t.Helper()
		for i := range want.Trials {
			a, b := want.Trials[i], got.Trials[i]
			if a.Index != b.Index || a.ValAccuracy != b.ValAccuracy || a.ValLoss != b.ValLoss {
				t.Fatalf("%s: trial %d %+v; want %+v", name, i, b, a)
			}
		}
		if got.Winner.Result.TestAccuracy != want.Winner.Result.TestAccuracy {
			t.Fatalf("%s: winner test accuracy %v; want %v", name, got.Winner.Result.TestAccuracy, want.Winner.Result.TestAccuracy)
		}
	}

	// The first worker alone: the second's channel closes after the last trial.
	a, b := make(chan struct{}), make(chan struct{})
	c := cfg
	c.Ready = []<-chan struct{}{a, b}
	starts, byFirst := 0, 0
	c.OnStart = func() { starts++ }
	c.OnTrial = func(done, total int, _ Trial) {
		byFirst++
		if done == total {
			close(b)
		}
	}
	close(a)
	got, err := Search(context.Background(), c, d)
	if err != nil {
		t.Fatal(err)
	}
	if starts != 1 || byFirst != len(want.Trials) {
		t.Fatalf("OnStart called %d times, OnTrial %d; want 1 and %d", starts, byFirst, len(want.Trials))
	}
	same("first worker alone", got)

	c = cfg
	a, b = make(chan struct{}), make(chan struct{})
	c.Ready = []<-chan struct{}{a, b}
	close(a)
	close(b)
	got, err = Search(context.Background(), c, d)
	if err != nil {
		t.Fatal(err)
	}
	same("both workers", got)

	ctx, cancel := context.WithCancel(context.Background())
	c = cfg
	c.Ready = []<-chan struct{}{make(chan struct{}), make(chan struct{})}
	trained := 0
	c.OnTrial = func(int, int, Trial) { trained++ }
	c.OnStart = func() { trained++ }
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := Search(ctx, c, d); !errors.Is(err, context.Canceled) || trained != 0 {
		t.Fatalf("cancelled before any worker was ready: %v, %d calls; want context.Canceled and none", err, trained)
	}
}

// TestSearchWorkers checks the study's search workers: one per core, each
// waiting for a lane in turn.
func TestSearchWorkers(t *testing.T) {
	a, b := make(chan struct{}), make(chan struct{})
	for _, tc := range []struct {
		lanes []chan struct{}
		cores int
		want  []chan struct{}
	}{
		{[]chan struct{}{a}, 1, []chan struct{}{a}},
		{[]chan struct{}{a}, 0, []chan struct{}{a}},
		{[]chan struct{}{a, b}, 2, []chan struct{}{a, b}},
		{[]chan struct{}{a, b}, 3, []chan struct{}{a, b, a}},
		{[]chan struct{}{a, b}, 4, []chan struct{}{a, b, a, b}},
	} {
		got := searchWorkers(tc.lanes, tc.cores)
		ok := len(got) == len(tc.want)
		for i := 0; ok && i < len(got); i++ {
			ok = got[i] == (<-chan struct{})(tc.want[i])
		}
		if !ok {
			t.Errorf("%d lanes on %d cores: %d workers %v; want %v", len(tc.lanes), tc.cores, len(got), got, tc.want)
		}
	}
}

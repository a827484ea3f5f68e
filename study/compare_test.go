package study

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/report"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/tensor"
	"github.com/rakam-ml/rakam/train"
)

// TestCompareSameSeedSameTable runs the whole study twice with the same
// seed on a small slice of real MNIST and expects the same table: every
// row's scores, confusion matrix and per-epoch history, the ensembles, the
// search trials and the mistakes, bit for bit, both in memory and in the
// results.json report.Write makes of each. Only wall-clock fields may differ. A third run with
// another seed must give a different table, so the comparison can fail.
func TestCompareSameSeedSameTable(t *testing.T) {
	d := smallData(t)
	run := func(seed uint64) (*Comparison, *report.Input) {
		t.Helper()
		c, err := Compare(context.Background(), CompareConfig{Quick: true, Epochs: 1, Trials: 2, Seed: seed,
			Out: t.TempDir(), Data: d})
		if err != nil {
			t.Fatalf("Compare(seed %d): %v", seed, err)
		}
		if err := report.Write(c.Dir, c.Input); err != nil {
			t.Fatalf("report.Write of Compare(seed %d): %v", seed, err)
		}
		file, err := report.ReadFile(filepath.Join(c.Dir, report.JSONFile))
		if err != nil {
			t.Fatalf("Compare(seed %d) wrote no readable %s: %v", seed, report.JSONFile, err)
		}
		return c, file
	}
	a, aFile := run(7)
	b, bFile := run(7)

	if len(a.Input.Rows) < 10 {
		t.Fatalf("Compare gave %d rows; want the whole study (at least 10)", len(a.Input.Rows))
	}
	for _, r := range a.Input.Rows {
		if len(r.History) != r.Epochs || r.Epochs < 1 || len(r.Confusion) != 10 {
			t.Errorf("row %s: %d epochs, %d history rows, %d confusion rows; want a trained, scored model",
				r.Name, r.Epochs, len(r.History), len(r.Confusion))
		}
	}
	sameStudy(t, "run 1 vs run 2 (in memory)", a.Input, b.Input)
	sameStudy(t, "run 1 vs run 2 (results.json)", aFile, bFile)
	sameStudy(t, "run 1 in memory vs its results.json", a.Input, aFile)

	c, _ := run(8)
	d8 := diffRows(a.Input.Rows, c.Input.Rows)
	if len(d8) == 0 {
		t.Errorf("seeds 7 and 8 gave the same table; want the seed to change the models")
	}
	t.Logf("seeds 7 and 8: %d row fields differ", len(d8))
}

// sameStudy reports every difference between two studies' tables.
func sameStudy(t *testing.T, what string, x, y *report.Input) {
	t.Helper()
	for _, d := range diffRows(x.Rows, y.Rows) {
		t.Errorf("%s: %s", what, d)
	}
	if !reflect.DeepEqual(ensembles(x), ensembles(y)) {
		t.Errorf("%s: ensembles differ:\n%+v\n%+v", what, x.Ensembles, y.Ensembles)
	}
	if x.Best != y.Best {
		t.Errorf("%s: best row %q vs %q", what, x.Best, y.Best)
	}
	if !reflect.DeepEqual(x.Mistakes, y.Mistakes) {
		t.Errorf("%s: the %d and %d mistakes differ", what, len(x.Mistakes), len(y.Mistakes))
	}
	if (x.Search == nil) != (y.Search == nil) {
		t.Fatalf("%s: search %v vs %v", what, x.Search, y.Search)
	}
	if x.Search != nil {
		if len(x.Search.Trials) != len(y.Search.Trials) || x.Search.WinnerTestAccuracy != y.Search.WinnerTestAccuracy {
			t.Errorf("%s: search: %d trials, winner %v vs %d trials, winner %v", what,
				len(x.Search.Trials), x.Search.WinnerTestAccuracy, len(y.Search.Trials), y.Search.WinnerTestAccuracy)
		} else {
			for i := range x.Search.Trials {
				p, q := x.Search.Trials[i], y.Search.Trials[i]
				if p.ValAccuracy != q.ValAccuracy || !reflect.DeepEqual(p.Params, q.Params) {
					t.Errorf("%s: search trial %d: %v %v vs %v %v", what, i, p.Params, p.ValAccuracy, q.Params, q.ValAccuracy)
				}
			}
		}
	}
	if !reflect.DeepEqual(x.Schedule, y.Schedule) {
		t.Errorf("%s: schedule differs:\n%+v\n%+v", what, x.Schedule, y.Schedule)
	}
	if !reflect.DeepEqual(x.EarlyStopping, y.EarlyStopping) {
		t.Errorf("%s: early stopping differs:\n%+v\n%+v", what, x.EarlyStopping, y.EarlyStopping)
	}
}

// ensembles returns in's ensembles without BestMember and
// BestMemberAccuracy, which Compare leaves empty and report.Write fills in
// from the rows (those rows are compared on their own).
func ensembles(in *report.Input) []report.Ensemble {
	es := append([]report.Ensemble(nil), in.Ensembles...)
	for i := range es {
		es[i].BestMember, es[i].BestMemberAccuracy = "", 0
	}
	return es
}

// diffRows lists, field by field, how two tables differ, ignoring the
// wall-clock fields (train_seconds, seconds_per_epoch,
// train_images_per_second, each epoch's seconds and config.wall_seconds).
func diffRows(x, y []results.Model) []string {
	if len(x) != len(y) {
		return []string{fmt.Sprintf("the tables have %d and %d rows", len(x), len(y))}
	}
	var ds []string
	for i := range x {
		p, q := withoutClock(x[i]), withoutClock(y[i])
		for k, v := range p {
			if w, ok := q[k]; !ok || !reflect.DeepEqual(v, w) {
				ds = append(ds, fmt.Sprintf("row %d (%s) field %s: %s vs %s", i, x[i].Name, k, short(v), short(w)))
			}
		}
		for k := range q {
			if _, ok := p[k]; !ok {
				ds = append(ds, fmt.Sprintf("row %d (%s) field %s only in the second table", i, x[i].Name, k))
			}
		}
	}
	return ds
}

// withoutClock is m as a JSON object without its wall-clock fields, so two
// rows compare as results.json would show them.
func withoutClock(m results.Model) map[string]any {
	m.TrainSeconds, m.SecondsPerEpoch, m.ImagesPerSecond = 0, nil, 0
	m.History = append([]results.Epoch(nil), m.History...)
	for i := range m.History {
		m.History[i].Seconds = 0
	}
	if m.Config != nil {
		m.Config = maps.Clone(m.Config)
		delete(m.Config, "wall_seconds")
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var o map[string]any
	if err := json.Unmarshal(b, &o); err != nil {
		panic(err)
	}
	return o
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 300 {
		b = append(b[:300], "..."...)
	}
	return string(b)
}

// TestLanesMatchSequential trains the quick study's plan in its lanes side
// by side on single-threaded kernels (what Compare does on two cores) and
// as one lane on two threads, and requires the same weights, byte for byte,
// and the same test accuracy and loss for every recipe.
func TestLanesMatchSequential(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs GOMAXPROCS ≥ 2 to train side by side")
	}
	d := smallData(t)
	plan, err := CompareConfig{Quick: true, Epochs: 1, Seed: 3}.plan()
	if err != nil {
		t.Fatal(err)
	}
	_, lanes := splitLanes(plan, 2)
	if len(lanes) != 2 {
		t.Fatalf("splitLanes gave %d lanes on two cores; want 2", len(lanes))
	}
	plan = slices.Concat(lanes...) // the solo cnn-fast trains alone either way
	cfg := CompareConfig{Retrain: true}
	var started []string
	var mu sync.Mutex
	together, err := trainLanes(context.Background(), cfg, lanes, nil, d, t.TempDir(), laneHooks{
		start: func(r Recipe) { mu.Lock(); started = append(started, r.Name); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(started) != len(plan) || len(together) != len(plan) {
		t.Fatalf("%d recipes started, %d trained; want the plan's %d", len(started), len(together), len(plan))
	}
	defer tensor.SetThreads(tensor.Threads())
	tensor.SetThreads(2)
	alone, err := trainLanes(context.Background(), cfg, [][]Recipe{plan}, nil, d, t.TempDir(), laneHooks{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range plan {
		a, b := together[r.Name], alone[r.Name]
		if !bytes.Equal(weightsOf(t, a.Model), weightsOf(t, b.Model)) {
			t.Errorf("%s: weights trained in lanes on 1 thread differ from those trained in one lane on 2", r.Name)
		}
		if a.Result.TestAccuracy != b.Result.TestAccuracy || a.Result.TestLoss != b.Result.TestLoss {
			t.Errorf("%s: test accuracy/loss %v/%v in lanes, %v/%v in one lane", r.Name,
				a.Result.TestAccuracy, a.Result.TestLoss, b.Result.TestAccuracy, b.Result.TestLoss)
		}
	}
}

// TestSplitLanes checks the study's lanes: on two cores cnn-fast first and
// alone, then the chain of cnn-augment-seed2 and the cnn-real that
// fine-tunes it beside the rest, each in plan order and together the plan;
// on one core the plan whole; and the plan whole when the rest would
// fine-tune a model of the chain.
func TestSplitLanes(t *testing.T) {
	plan, err := CompareConfig{Seed: 1}.plan()
	if err != nil {
		t.Fatal(err)
	}
	names := func(rs []Recipe) []string {
		var s []string
		for _, r := range rs {
			s = append(s, r.Name)
		}
		return s
	}
	first, lanes := splitLanes(plan, 2)
	if len(lanes) != 2 {
		t.Fatalf("%d lanes on two cores; want 2", len(lanes))
	}
	if got := names(first); !slices.Equal(got, []string{rowCNNFast}) {
		t.Errorf("solo recipes %v; want cnn-fast", got)
	}
	if got, want := names(lanes[0]), []string{rowCNNAugment2, rowCNNReal}; !slices.Equal(got, want) {
		t.Errorf("first lane %v; want %v", got, want)
	}
	var rest []string
	for _, n := range names(plan) {
		if n != rowCNNAugment2 && n != rowCNNReal && n != rowCNNFast {
			rest = append(rest, n)
		}
	}
	if got := names(lanes[1]); !slices.Equal(got, rest) {
		t.Errorf("second lane %v; want the rest in plan order %v", got, rest)
	}
	if first, got := splitLanes(plan, 1); len(first) != 0 || len(got) != 1 || !slices.Equal(names(got[0]), names(plan)) {
		t.Errorf("one core: %d solo, %d lanes; want the plan in one lane", len(first), len(got))
	}
	odd := slices.Clone(plan)
	odd = append(odd, Recipe{Name: "fine-tunes-real", Init: rowCNNReal})
	odd = append(odd, Recipe{Name: "fine-tunes-cnn", Init: rowCNN})
	_, lanes = splitLanes(odd, 2)
	if got := names(lanes[0]); !slices.Equal(got, []string{rowCNNAugment2, rowCNNReal, "fine-tunes-real"}) {
		t.Errorf("a fine-tuning of cnn-real: first lane %v; want it after cnn-real", got)
	}
	odd = append(slices.Clone(plan), Recipe{Name: "odd", Init: rowCNNAugment2})
	odd[len(odd)-1], odd[0] = odd[0], odd[len(odd)-1] // before its init in the plan: the rest
	if first, got := splitLanes(odd, 4); len(first) != 0 || len(got) != 1 || len(got[0]) != len(odd) {
		t.Errorf("a recipe of the rest fine-tuning the chain: %d solo, %d lanes; want the plan whole in one", len(first), len(got))
	}
}

// TestConsole writes log lines between progress-bar lines on one writer:
// a half-drawn bar is cleared before a log line, a finished one is not,
// and a bar on a writer of its own goes there untouched.
func TestConsole(t *testing.T) {
	var buf bytes.Buffer
	c := newConsole(&buf, &buf)
	bar := c.bar()
	if bar == io.Writer(&buf) {
		t.Fatal("the bar shares the log's writer but bypasses the console")
	}
	io.WriteString(bar, "\repoch 1/2 [=>  ] 1/9\x1b[K")
	c.logf("[%d/%d] %s", 2, 15, "cnn")
	io.WriteString(bar, "\repoch 1/2 done\n")
	c.logf("after")
	want := "\repoch 1/2 [=>  ] 1/9\x1b[K\r\x1b[K[2/15] cnn\n\repoch 1/2 done\nafter\n"
	if got := buf.String(); got != want {
		t.Errorf("console wrote %q; want %q", got, want)
	}
	var logw, barw bytes.Buffer
	c = newConsole(&logw, &barw)
	if c.bar() != io.Writer(&barw) {
		t.Error("a bar on its own writer should write there directly")
	}
	if newConsole(nil, nil).bar() != nil {
		t.Error("no bar: want a nil writer")
	}
	newConsole(nil, nil).logf("dropped") // no log: nothing, no panic
	// Writers of a type that cannot be compared with == (a func field).
	if sameWriter(funcWriter{}, funcWriter{}) {
		t.Error("sameWriter: values of a non-comparable type reported the same")
	}
}

// funcWriter is an io.Writer of a type == cannot compare.
type funcWriter struct{ _ func() }

func (w funcWriter) Write(p []byte) (int, error) { return len(p), nil }

// weightsOf returns the model's parameters and state, serialised.
func weightsOf(t *testing.T, m *nn.Sequential) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, p := range append(m.Params(), m.State()...) {
		if err := binary.Write(&buf, binary.LittleEndian, p.Value.Data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// TestTrainLanesStopsOnFailure trains two lanes side by side, one of them
// with a learning rate that diverges at once: the lanes must stop the other
// instead of letting it finish its epochs, and report the divergence (not
// the interruption it caused), with no model file left behind for either.
func TestTrainLanesStopsOnFailure(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs GOMAXPROCS ≥ 2 to train side by side")
	}
	d := smallData(t)
	cnn, _ := ZooByName("cnn")
	ok, bad := FromZoo(cnn, 1), FromZoo(cnn, 2)
	ok.Name, ok.Epochs = "slow", 200 // would take minutes if not stopped
	bad.Name, bad.LR, bad.Optimizer = "diverges", 1e12, "sgd"
	dir := t.TempDir()
	start := time.Now()
	var finished atomic.Int32 // a lane that fails or is stopped has not finished
	_, err := trainLanes(context.Background(), CompareConfig{Retrain: true}, [][]Recipe{{ok}, {bad}}, nil, d, dir,
		laneHooks{finished: func(int) { finished.Add(1) }})
	var div *train.DivergenceError
	if !errors.As(err, &div) {
		t.Fatalf("trainLanes error = %v; want the divergence", err)
	}
	if n := finished.Load(); n != 0 {
		t.Errorf("%d lanes reported finished; want none", n)
	}
	if s := time.Since(start); s > time.Minute {
		t.Errorf("the lanes took %v after one run diverged; want the other stopped", s)
	}
	for _, name := range []string{"slow", "diverges"} {
		if _, err := os.Stat(filepath.Join(dir, name+".safetensors")); !os.IsNotExist(err) {
			t.Errorf("%s: a model file was left behind (stat: %v)", name, err)
		}
	}
}

// TestTrainLanesUsesBefore fine-tunes, in a lane, a model trained before
// the lanes: the lane must start from that model, not train its recipe a
// second time (with Retrain, initFor would).
func TestTrainLanesUsesBefore(t *testing.T) {
	d := smallData(t)
	e, _ := ZooByName(rowBaselineAdam)
	base := FromZoo(e, 1)
	base.Name, base.Epochs = "base", 1
	ft := base
	ft.Name, ft.Init, ft.LR = "tuned", "base", base.LR/10
	cfg := CompareConfig{Retrain: true}
	before, err := trainLanes(context.Background(), cfg, [][]Recipe{{base}}, nil, d, t.TempDir(), laneHooks{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var started []string
	var mu sync.Mutex
	var finished []int
	got, err := trainLanes(context.Background(), cfg, [][]Recipe{{ft}, {}}, before, d, dir, laneHooks{
		start: func(r Recipe) { started = append(started, r.Name) },
		finished: func(i int) {
			mu.Lock()
			defer mu.Unlock()
			finished = append(finished, i)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Sort(finished); !slices.Equal(finished, []int{0, 1}) {
		t.Errorf("lanes reported finished: %v; want each once", finished)
	}
	if !slices.Equal(started, []string{"tuned"}) {
		t.Errorf("recipes started %v; want only the fine-tuning", started)
	}
	if _, err := os.Stat(filepath.Join(dir, "base.safetensors")); !os.IsNotExist(err) {
		t.Errorf("the model trained before was trained again (stat: %v)", err)
	}
	if got["tuned"].initSHA256 != weightsSHA256(before["base"].Model) {
		t.Error("the fine-tuning did not start from the model trained before")
	}
	if _, ok := got["base"]; ok {
		t.Error("trainLanes returned a model of before as one it trained")
	}
	// The fine-tuning in one lane, its start in the other: an error, not
	// the start trained twice at once.
	_, err = trainLanes(context.Background(), cfg, [][]Recipe{{ft}, {base}}, nil, d, t.TempDir(), laneHooks{})
	if err == nil || !strings.Contains(err.Error(), "tuned fine-tunes base, which its lane has not trained") {
		t.Errorf("lanes split between a model and its fine-tuning: error %v; want one naming both", err)
	}
}

// TestTimingNote checks the report's note on how training was timed: with
// lanes it names the models trained alone, the lanes and their threads;
// with one lane, the thread count.
func TestTimingNote(t *testing.T) {
	plan, err := CompareConfig{Seed: 1}.plan()
	if err != nil {
		t.Fatal(err)
	}
	first, lanes := splitLanes(plan, 2)
	note := timingNote(first, lanes, 2)
	for _, want := range []string{
		"scratch and cnn-fast alone, one after another, with 2 threads",
		"in 2 lanes side by side, 1 thread(s) each (cnn-augment-seed2, cnn-real | baseline-adam, ",
		"the search's trials on one thread each, on each lane's share as the lane finishes.",
	} {
		if !strings.Contains(note, want) {
			t.Errorf("timing note %q lacks %q", note, want)
		}
	}
	first, lanes = splitLanes(plan, 1)
	if note := timingNote(first, lanes, 1); note != "wall time of each model's training, one model after another with 1 thread(s); the search's trials 1 at a time." {
		t.Errorf("one core: timing note %q", note)
	}
}

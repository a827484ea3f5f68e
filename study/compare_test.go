package study

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
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

// TestTrainGroupMatchesSequential trains the two augmented CNN recipes of
// the quick study side by side on single-threaded kernels (what Compare
// does) and one after another on two threads, and requires the same saved
// weights, byte for byte, and the same table rows.
func TestTrainGroupMatchesSequential(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs GOMAXPROCS ≥ 2 to train side by side")
	}
	d := smallData(t)
	plan, err := CompareConfig{Quick: true, Epochs: 1, Seed: 3}.plan()
	if err != nil {
		t.Fatal(err)
	}
	var group []Recipe
	for _, r := range plan {
		if concurrent[r.Name] {
			group = append(group, r)
		}
	}
	if len(group) != 2 {
		t.Fatalf("the plan has %d concurrent recipes; want the two augmented CNNs", len(group))
	}
	cfg := CompareConfig{Retrain: true}
	together, err := trainGroup(context.Background(), cfg, group, d, t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tensor.SetThreads(tensor.Threads())
	tensor.SetThreads(2)
	dir := t.TempDir()
	for i, r := range group {
		alone, err := trainGroup(context.Background(), cfg, []Recipe{r}, d, dir, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, b := weightsOf(t, together[i].Model), weightsOf(t, alone[0].Model)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: weights trained side by side on 1 thread differ from those trained alone on 2", r.Name)
		}
		if together[i].Result.TestAccuracy != alone[0].Result.TestAccuracy || together[i].Result.TestLoss != alone[0].Result.TestLoss {
			t.Errorf("%s: test accuracy/loss %v/%v side by side, %v/%v alone", r.Name,
				together[i].Result.TestAccuracy, together[i].Result.TestLoss, alone[0].Result.TestAccuracy, alone[0].Result.TestLoss)
		}
	}
}

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

// TestTrainGroupStopsOnFailure trains two recipes side by side, one of them
// with a learning rate that diverges at once: the group must stop the other
// instead of letting it finish its epochs, and report the divergence (not
// the interruption it caused), with no model file left behind for either.
func TestTrainGroupStopsOnFailure(t *testing.T) {
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
	_, err := trainGroup(context.Background(), CompareConfig{Retrain: true}, []Recipe{ok, bad}, d, dir, nil, nil)
	var div *train.DivergenceError
	if !errors.As(err, &div) {
		t.Fatalf("trainGroup error = %v; want the divergence", err)
	}
	if s := time.Since(start); s > time.Minute {
		t.Errorf("the group took %v after one run diverged; want the other stopped", s)
	}
	for _, name := range []string{"slow", "diverges"} {
		if _, err := os.Stat(filepath.Join(dir, name+".safetensors")); !os.IsNotExist(err) {
			t.Errorf("%s: a model file was left behind (stat: %v)", name, err)
		}
	}
}

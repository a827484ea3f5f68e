package study

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/train"
)

// TestOutliers: the outlier images are reproducible from their seed, all
// labelled nn.NoClass, each with ink inside the frame, and differ between
// seeds.
func TestOutliers(t *testing.T) {
	a, err := Outliers(60, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Outliers(60, 1)
	c, _ := Outliers(60, 2)
	if !bytes.Equal(a.Images, b.Images) {
		t.Error("Outliers(60, 1) twice: different images")
	}
	if bytes.Equal(a.Images, c.Images) {
		t.Error("Outliers with seeds 1 and 2: the same images")
	}
	for i := 0; i < a.N; i++ {
		if a.Labels[i] != nn.NoClass {
			t.Fatalf("outlier %d labelled %d; want nn.NoClass", i, a.Labels[i])
		}
		ink := 0
		for _, v := range a.Images[i*784 : (i+1)*784] {
			if v > 128 {
				ink++
			}
		}
		if ink < 8 || ink > 400 {
			t.Errorf("outlier %d has %d inked pixels; want a letter or a stroke (8..400)", i, ink)
		}
	}
	if _, err := Outliers(-1, 1); err == nil {
		t.Error("Outliers(-1) = nil error")
	}
}

// TestTrainOutliersThresholds: a recipe with outliers gets a not-a-digit
// threshold at the validation answers' 1.5th percentile of top probability
// and the lowest not-sure threshold that flags 90 % of its mistakes; they
// are saved with the model and read back, and loading it again with other
// starting weights retrains it.
func TestTrainOutliersThresholds(t *testing.T) {
	d := smallData(t)
	z, _ := ZooByName("baseline-adam")
	r := FromZoo(z, 1)
	r.Epochs, r.Outliers = 1, 300
	tr, err := Train(context.Background(), r, d, RunOptions{Test: true})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Thresholds == nil {
		t.Fatal("Train with outliers: no thresholds")
	}
	m, err := infer.New(tr.Model.Replica(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := m.PredictBatch(normalized(d.Val.Images), d.Val.N)
	if err != nil {
		t.Fatal(err)
	}
	var tops, wrong []float32
	for i := 0; i < d.Val.N; i++ {
		p := probs[i*10 : i*10+10]
		l := infer.Argmax(p)
		tops = append(tops, p[l])
		if l != int(d.Val.Labels[i]) {
			wrong = append(wrong, p[l])
		}
	}
	slices.Sort(tops)
	slices.Sort(wrong)
	if len(wrong) < 10 {
		t.Fatalf("%d mistakes on the validation split; the test needs a weaker model", len(wrong))
	}
	want := *thresholdsFrom(slices.Clone(tops), slices.Clone(wrong))
	if *tr.Thresholds != want {
		t.Errorf("thresholds %+v; want %+v, chosen from the validation answers as infer reads them", *tr.Thresholds, want)
	}
	if want.NotDigitBelow != tops[d.Val.N*15/1000] {
		t.Errorf("NotDigitBelow %v; want the validation answers' 1.5th percentile, %v", want.NotDigitBelow, tops[d.Val.N*15/1000])
	}
	// The lowest threshold that flags 90 % of the mistakes, unless that
	// flags more than 5 % of the answers (then the threshold that flags
	// 5 %), and never under NotDigitBelow.
	flagged := func(v []float32, th float32) int {
		n := 0
		for _, w := range v {
			if w < th {
				n++
			}
		}
		return n
	}
	got := want.UnsureBelow
	catches := flagged(wrong, got) >= (9*len(wrong)+9)/10 && flagged(wrong, math.Nextafter32(got, 0)) < (9*len(wrong)+9)/10
	capped := got == tops[d.Val.N*5/100] && flagged(tops, got) <= d.Val.N*5/100
	if !(catches && flagged(tops, got) <= d.Val.N*5/100 || capped || got == want.NotDigitBelow) || got < want.NotDigitBelow {
		t.Errorf("UnsureBelow %v flags %d of %d mistakes and %d of %d answers; want the lowest threshold flagging 90 %% of the mistakes, at most 5 %% of the answers", got, flagged(wrong, got), len(wrong), flagged(tops, got), d.Val.N)
	}
	want.UnsureBelow = tr.Thresholds.UnsureBelow
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := SaveTrained(path, tr, d); err != nil {
		t.Fatal(err)
	}
	loaded, err := infer.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Thresholds() != want {
		t.Errorf("saved model's thresholds %+v; want %+v", loaded.Thresholds(), want)
	}
	plain := FromZoo(z, 1)
	plain.Epochs = 1
	if p, _ := Train(context.Background(), plain, d, RunOptions{}); p.Thresholds != nil {
		t.Errorf("Train without outliers chose thresholds %+v; want none", *p.Thresholds)
	}
}

// TestFineTuneRetrainsOnNewInit: a saved fine-tuned model is reused only
// when it started from the same weights.
func TestFineTuneRetrainsOnNewInit(t *testing.T) {
	d := smallData(t)
	_, a := oneEpochBaseline(t, d, 1)
	_, b := oneEpochBaseline(t, d, 2)
	z, _ := ZooByName("baseline-adam")
	ft := FromZoo(z, 3)
	ft.Name, ft.Init, ft.Epochs = "ft", "baseline-adam", 1
	dir := t.TempDir()
	first, err := trainOrLoad(context.Background(), CompareConfig{}, ft, d, dir, 0, a.Model)
	if err != nil {
		t.Fatal(err)
	}
	again, err := trainOrLoad(context.Background(), CompareConfig{}, ft, d, dir, 0, a.Model)
	if err != nil {
		t.Fatal(err)
	}
	if again.History.TrainSeconds != first.History.TrainSeconds {
		t.Error("the same starting weights: trained again; want the saved model loaded")
	}
	other, err := trainOrLoad(context.Background(), CompareConfig{}, ft, d, dir, 0, b.Model)
	if err != nil {
		t.Fatal(err)
	}
	if other.Test.Summary.Accuracy == first.Test.Summary.Accuracy && slices.Equal(other.Test.Probs, first.Test.Probs) {
		t.Error("other starting weights: the saved model was reused; want it trained again")
	}
}

func normalized(b []uint8) []float32 {
	out := make([]float32, len(b))
	for i, v := range b {
		out[i] = float32(v) / 255
	}
	return out
}

// TestMixTrunk: the layers before the Flatten become the mix of the two
// models, parameters and batch norm statistics alike; the head stays.
func TestMixTrunk(t *testing.T) {
	z, _ := ZooByName("cnn")
	a, _ := nn.Build(z.Spec, 1)
	b, _ := nn.Build(z.Spec, 2)
	for i, p := range b.State() { // give the statistics values to mix
		for j := range p.Value.Data {
			p.Value.Data[j] = float32(i + j%7)
		}
	}
	var before [][]float32
	for _, p := range a.Tensors() {
		before = append(before, slices.Clone(p.Value.Data))
	}
	mixTrunk(a, b, 0.25)
	flat := slices.IndexFunc(z.Spec.Layers, func(l nn.LayerSpec) bool { return l.Kind == "Flatten" })
	mixed, kept := 0, 0
	for i, l := range a.Layers {
		for pi, p := range append(l.Params(), l.State()...) {
			src := append(b.Layers[i].Params(), b.Layers[i].State()...)[pi]
			for j, v := range p.Value.Data {
				orig := origValue(a, before, p, j)
				want := orig
				if i < flat {
					want = 0.25*orig + 0.75*src.Value.Data[j]
				}
				if v != want {
					t.Fatalf("layer %d %s[%d] = %v; want %v", i, p.Name, j, v, want)
				}
			}
			if i < flat {
				mixed++
			} else {
				kept++
			}
		}
	}
	if mixed == 0 || kept == 0 {
		t.Errorf("%d trunk and %d head tensors; want some of each", mixed, kept)
	}
}

// origValue finds p's value j before the mix (before is in Tensors order).
func origValue(m *nn.Sequential, before [][]float32, p *nn.Param, j int) float32 {
	for i, q := range m.Tensors() {
		if q == p {
			return before[i][j]
		}
	}
	panic("tensor not found")
}

// TestTrainTrunkMixScores: a recipe with a trunk mix records the saved
// (mixed) model's validation accuracy, which the history, from before the
// mix, does not give.
func TestTrainTrunkMixScores(t *testing.T) {
	d := smallData(t)
	_, from := oneEpochBaseline(t, d, 1)
	z, _ := ZooByName("baseline-adam")
	r := FromZoo(z, 2)
	r.Name, r.Init, r.TrunkMix, r.Epochs, r.LR = "mixed", "baseline-adam", 0.5, 1, 0.01
	tr, err := Train(context.Background(), r, d, RunOptions{Init: from.Model})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := train.Evaluate(tr.Model, d.Val, evalBatch)
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.Result.Extra["val_accuracy_after_mix"]; got != ev.Summary.Accuracy {
		t.Errorf("val_accuracy_after_mix = %v; want the saved model's %v", got, ev.Summary.Accuracy)
	}
	bad := r
	bad.Init = ""
	if _, err := Train(context.Background(), bad, d, RunOptions{}); err == nil || !strings.Contains(err.Error(), "trunk mix") {
		t.Errorf("TrunkMix without Init: %v; want an error naming the trunk mix", err)
	}
}

// TestThresholdsFrom checks the thresholds' choice on hand-made answers.
func TestThresholdsFrom(t *testing.T) {
	steps := func(n int) []float32 { // 1/n, 2/n, ..., 1
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(i+1) / float32(n)
		}
		return v
	}
	next := func(v float32) float32 { return math.Nextafter32(v, 2) }
	for _, c := range []struct {
		name        string
		tops, wrong []float32
		want        infer.Thresholds
	}{
		// 5 mistakes of 1,000: the 5th lowest (k = ⌈4.5⌉) is caught;
		// it flags 45 answers, under the cap of 50.
		{"catch", steps(1000), []float32{0.045, 0.01, 0.03, 0.02, 0.04},
			infer.Thresholds{NotDigitBelow: 0.016, UnsureBelow: next(0.045)}},
		// 10 mistakes of 100, the 9th at 0.9: catching it would flag 90
		// answers; the cap flags 5 (tops[5] = 0.06).
		{"capped", steps(100), []float32{0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95},
			infer.Thresholds{NotDigitBelow: 0.02, UnsureBelow: 0.06}},
		// Mistakes below the not-a-digit threshold: unsure is no lower.
		{"under not-a-digit", steps(1000), []float32{0.005},
			infer.Thresholds{NotDigitBelow: 0.016, UnsureBelow: 0.016}},
		{"no mistakes", steps(1000), nil,
			infer.Thresholds{NotDigitBelow: 0.016, UnsureBelow: 0.016}},
		// Every answer at 1: unsure cannot go above 1.
		{"all sure", []float32{1, 1, 1, 1}, []float32{1},
			infer.Thresholds{NotDigitBelow: 1, UnsureBelow: 1}},
	} {
		if got := *thresholdsFrom(c.tops, c.wrong); got != c.want {
			t.Errorf("%s: thresholdsFrom = %+v; want %+v", c.name, got, c.want)
		}
	}
}

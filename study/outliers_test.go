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
	want := infer.Thresholds{NotDigitBelow: tops[d.Val.N*15/1000]}
	// The lowest threshold that flags 90 % of the mistakes.
	flagged := func(th float32) int {
		n := 0
		for _, w := range wrong {
			if w < th {
				n++
			}
		}
		return n
	}
	if got := tr.Thresholds.UnsureBelow; flagged(got) < (9*len(wrong)+9)/10 || flagged(math.Nextafter32(got, 0)) >= (9*len(wrong)+9)/10 && got > want.NotDigitBelow {
		t.Errorf("UnsureBelow %v flags %d of %d mistakes; want the lowest threshold flagging 90 %%", got, flagged(got), len(wrong))
	}
	if tr.Thresholds.NotDigitBelow != want.NotDigitBelow || tr.Thresholds.UnsureBelow < want.NotDigitBelow {
		t.Errorf("thresholds %+v; want not-a-digit at the validation's 1.5th percentile, %v, and unsure no lower", *tr.Thresholds, want.NotDigitBelow)
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

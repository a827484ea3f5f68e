package study

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/tensor"
)

// TestRecipeJSONUnchanged: a study recipe's JSON, which a saved model's
// rakam.study_run holds and a rerun compares, has no keys for the settings
// only rakam train sets, so models saved before those settings existed are
// still reused.
func TestRecipeJSONUnchanged(t *testing.T) {
	for _, z := range Zoo() {
		b, err := json.Marshal(FromZoo(z, 1))
		if err != nil {
			t.Fatal(err)
		}
		keys := []string{"WeightDecay", "ClipNorm"}
		if z.Init == "" {
			keys = append(keys, "Init", "Outliers", "Degrade", "TrunkMix")
		}
		for _, key := range keys {
			if strings.Contains(string(b), key) {
				t.Errorf("json.Marshal(FromZoo(%s)) = %s; want no %s", z.Name, b, key)
			}
		}
	}
	wd := 0.0
	b, _ := json.Marshal(Recipe{Name: "x", WeightDecay: &wd, ClipNorm: 1})
	if !strings.Contains(string(b), `"WeightDecay":0`) || !strings.Contains(string(b), `"ClipNorm":1`) {
		t.Errorf("json.Marshal(recipe with weight decay 0, clip 1) = %s; want both kept", b)
	}
}

// TestTrainThreadBudget: RunOptions.Threads reaches the model trained (the
// budget of its layer passes and products) and leaves the process default
// alone.
func TestTrainThreadBudget(t *testing.T) {
	d := smallData(t)
	z, _ := ZooByName("baseline-adam")
	r := FromZoo(z, 1)
	r.Epochs = 1
	def := tensor.Threads()
	tr, err := Train(context.Background(), r, d, RunOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Model.Threads() != 1 {
		t.Errorf("model trained with RunOptions.Threads 1 has budget %d", tr.Model.Threads())
	}
	if tensor.Threads() != def {
		t.Errorf("Train changed the process default from %d to %d", def, tensor.Threads())
	}
}

// oneEpochBaseline trains the zoo's baseline-adam for one epoch on d with
// seed: the model the fine-tuning tests start from, and its recipe.
func oneEpochBaseline(t *testing.T, d *Data, seed uint64) (Recipe, *Trained) {
	t.Helper()
	z, err := ZooByName("baseline-adam")
	if err != nil {
		t.Fatal(err)
	}
	r := FromZoo(z, seed)
	r.Epochs = 1
	tr, err := Train(context.Background(), r, d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r, tr
}

// TestTrainInit: a recipe with Init starts from the given weights (a rate
// too small to move them leaves the trained parameters equal to them, bit
// for bit), leaves that model alone, and is refused when the weights are
// missing, unasked for, or of another architecture.
func TestTrainInit(t *testing.T) {
	d := smallData(t)
	r, first := oneEpochBaseline(t, d, 1)
	var before [][]float32 // a copy of the initial weights (a Replica would share them)
	for _, p := range first.Model.Tensors() {
		before = append(before, append([]float32(nil), p.Value.Data...))
	}
	ft := r
	ft.Name, ft.Init, ft.Optimizer, ft.LR, ft.Seed = "fine-tuned", "baseline-adam", "sgd", 1e-30, 7
	tuned, err := Train(context.Background(), ft, d, RunOptions{Init: first.Model})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range tuned.Model.Params() {
		want := first.Model.Params()[i].Value.Data
		for j, v := range p.Value.Data {
			if v != want[j] {
				t.Fatalf("param %d[%d] = %v after fine-tuning at lr 1e-30; want the initial %v", i, j, v, want[j])
			}
		}
	}
	for i, p := range first.Model.Tensors() {
		for j, v := range p.Value.Data {
			if v != before[i][j] {
				t.Fatalf("Train changed the Init model's tensor %d", i)
			}
		}
	}
	if tuned.Result.Config["init"] != "baseline-adam" {
		t.Errorf("result config init = %v; want baseline-adam", tuned.Result.Config["init"])
	}
	other, _ := ZooByName("dropout")
	wrong := FromZoo(other, 1)
	wrong.Init = "baseline-adam"
	for _, c := range []struct {
		r    Recipe
		init bool
		msg  string
	}{
		{ft, false, "no initial weights were given"},
		{r, true, "does not fine-tune"},
		{wrong, true, "its architecture"},
	} {
		opts := RunOptions{}
		if c.init {
			opts.Init = first.Model
		}
		if _, err := Train(context.Background(), c.r, d, opts); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Train(%s, init %v) = %v; want an error saying %q", c.r.Name, c.init, err, c.msg)
		}
	}
}

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
		for _, key := range []string{"WeightDecay", "ClipNorm"} {
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

package study

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/results"
)

// TestSaveTrainedMetadata: a model the study saves carries the metadata
// every trained model has (ModelMetadata's keys), its run, and the metrics
// in the typed form.
func TestSaveTrainedMetadata(t *testing.T) {
	z, err := ZooByName("baseline-adam")
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Build(z.Spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	res := results.Model{Name: "row", Epochs: 3, TestAccuracy: 0.5, TestLoss: 0.25, MacroF1: 0.125, WeightedF1: 0.75,
		Config: map[string]any{"seed": 1}}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := SaveTrained(path, &Trained{Recipe: FromZoo(z, 1), Model: m, Result: res}, &Data{SHA256: "abc"}); err != nil {
		t.Fatal(err)
	}
	_, meta, err := nn.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(maps.Keys(ModelMetadata(&res, res.Config, "abc")))
	want = append(want, nn.MetaSpec, nn.MetaStudyRun)
	slices.Sort(want)
	if got := slices.Sorted(maps.Keys(meta)); !slices.Equal(got, want) {
		t.Errorf("saved metadata keys = %v; want %v", got, want)
	}
	for _, k := range []string{nn.MetaName, nn.MetaVersion, nn.MetaTrainConfig, nn.MetaMetrics, nn.MetaDatasetSHA256} {
		if meta[k] == "" {
			t.Errorf("saved metadata %s is empty", k)
		}
	}
	var got Metrics
	if err := json.Unmarshal([]byte(meta[nn.MetaMetrics]), &got); err != nil ||
		got != (Metrics{Epochs: 3, TestAccuracy: 0.5, TestLoss: 0.25, MacroF1: 0.125, WeightedF1: 0.75}) {
		t.Errorf("saved %s = %s (%v); want the result's scores", nn.MetaMetrics, meta[nn.MetaMetrics], err)
	}
	if meta[nn.MetaName] != "row" || meta[nn.MetaDatasetSHA256] != "abc" || meta[nn.MetaTrainConfig] != `{"seed":1}` {
		t.Errorf("saved name, data, config = %q, %q, %q; want row, abc, {\"seed\":1}", meta[nn.MetaName], meta[nn.MetaDatasetSHA256], meta[nn.MetaTrainConfig])
	}
}

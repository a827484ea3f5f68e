package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/study"
)

// TestEvalNamesModelFromMetadata: a model saved by the study (as rakam
// compare, compare --only and search --out save them) names itself in its
// metadata, so rakam eval --json shows that name even after the file is
// renamed (issue 10: the name comes from the metadata, not the file name).
func TestEvalNamesModelFromMetadata(t *testing.T) {
	dir, err := mnist.Locate("")
	if err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	test, err := mnist.LoadTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Build(nn.Spec{Input: []int{784}, Layers: []nn.LayerSpec{{Kind: "Dense", Units: 10}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr := &study.Trained{Recipe: study.Recipe{Name: "cnn-augment-seed2"}, Model: m, Result: results.Model{Name: "cnn-augment-seed2"}}
	path := filepath.Join(t.TempDir(), "whatever-file-name.safetensors")
	if err := study.SaveTrained(path, tr, &study.Data{Test: test, SHA256: "0"}); err != nil {
		t.Fatal(err)
	}
	_, meta, err := nn.Load(path)
	if err != nil || meta[nn.MetaName] != "cnn-augment-seed2" {
		t.Fatalf("saved metadata %s = %q, %v; want the row name", nn.MetaName, meta[nn.MetaName], err)
	}
	code, out, errs := runCLI(t, "eval", "--json", path)
	if code != 0 {
		t.Fatalf("rakam eval = %d: %s", code, errs)
	}
	var r struct{ Name string }
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Name != "cnn-augment-seed2" {
		t.Errorf("rakam eval --json name = %q (%v); want cnn-augment-seed2 from the metadata", r.Name, err)
	}
	_ = os.Remove(path)
}

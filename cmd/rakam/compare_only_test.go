package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareOnly trains two models of the study with 'rakam compare
// --only' into DIR/models and no report; an unknown name is a usage error
// naming the study's models. (study's TestCompareOnlyThenCompare checks
// that a final compare over such a folder gives the one-process table.)
func TestCompareOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	out := filepath.Join(f.root, "w")
	args := []string{"compare", "--data", filepath.Join(f.root, "mn"), "--val", relVal, "--quick", "--epochs", "1", "--out", out, "--quiet"}
	code, stdout, errs := runCLI(t, append(args, "--only", "scratch,baseline-adam")...)
	if code != 0 {
		t.Fatalf("compare --only = %d: %s", code, errs)
	}
	for _, n := range []string{"scratch", "baseline-adam"} {
		if _, err := os.Stat(filepath.Join(out, "models", n+".safetensors")); err != nil || !strings.Contains(stdout, n) {
			t.Errorf("compare --only: model %s: %v; stdout %q", n, err, stdout)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(out, "models")); len(entries) != 2 {
		t.Errorf("compare --only scratch,baseline-adam wrote %d models; want 2", len(entries))
	}
	if _, err := os.Stat(filepath.Join(out, "results.json")); !os.IsNotExist(err) {
		t.Errorf("compare --only wrote a report (stat: %v); want none", err)
	}
	code, _, errs = runCLI(t, append(args, "--only", "resnet")...)
	if code != 2 || !strings.Contains(errs, "cnn-augment-seed2") {
		t.Errorf("compare --only resnet = %d, %q; want 2 and the list of models", code, errs)
	}
}

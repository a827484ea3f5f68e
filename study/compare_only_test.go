package study

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/report"
)

// TestCompareOnlyThenCompare trains every model of a small study with one
// CompareOnly call each into one folder (as the pods of a Job would), then
// runs Compare on that folder: it must load every model without training
// any (the files stay untouched) and give the table, results.json included,
// that one Compare gives, apart from timing.
func TestCompareOnlyThenCompare(t *testing.T) {
	d := smallData(t)
	cfg := CompareConfig{Quick: true, Epochs: 1, Trials: 2, Seed: 7, Data: d}
	study := func(out string) (*Comparison, *report.Input) {
		t.Helper()
		c := cfg
		c.Out = out
		cmp, err := Compare(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if err := report.Write(cmp.Dir, cmp.Input); err != nil {
			t.Fatal(err)
		}
		file, err := report.ReadFile(filepath.Join(cmp.Dir, report.JSONFile))
		if err != nil {
			t.Fatal(err)
		}
		return cmp, file
	}
	one, oneFile := study(t.TempDir())

	dir := t.TempDir()
	names, err := cfg.RecipeNames()
	if err != nil {
		t.Fatal(err)
	}
	c := cfg
	c.Out = dir
	for _, n := range names {
		rows, err := CompareOnly(context.Background(), c, []string{n})
		if err != nil {
			t.Fatalf("CompareOnly(%s): %v", n, err)
		}
		if len(rows) != 1 || rows[0].Name != n {
			t.Fatalf("CompareOnly(%s) gave %d rows; want its own", n, len(rows))
		}
	}
	models := filepath.Join(dir, "models")
	entries, err := os.ReadDir(models)
	if err != nil || len(entries) != len(names) {
		t.Fatalf("%s holds %d files (%v); want one model per name, %d", models, len(entries), err, len(names))
	}
	before := map[string]time.Time{}
	for _, e := range entries {
		fi, _ := e.Info()
		before[e.Name()] = fi.ModTime()
	}
	parts, partsFile := study(dir)
	for _, e := range entries {
		fi, err := os.Stat(filepath.Join(models, e.Name()))
		if err != nil || !fi.ModTime().Equal(before[e.Name()]) {
			t.Errorf("Compare trained %s again (or removed it: %v); want it loaded", e.Name(), err)
		}
	}
	sameStudy(t, "one Compare vs CompareOnly for each model then Compare (in memory)", one.Input, parts.Input)
	sameStudy(t, "one Compare vs CompareOnly for each model then Compare (results.json)", oneFile, partsFile)

	if _, err := CompareOnly(context.Background(), c, []string{"resnet"}); err == nil || !strings.Contains(err.Error(), "cnn-augment-seed2") {
		t.Errorf("CompareOnly(resnet) = %v; want an error listing the study's models", err)
	}
}

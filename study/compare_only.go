package study

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rakam-ml/rakam/results"
)

// RecipeNames returns the models of the study that CompareOnly can train,
// in table order: scratch (study 1) and every recipe of the plan. The
// search and the ensembles are not among them: Compare runs the search
// (small MLPs, seconds) and votes with the models it finds.
func (cfg CompareConfig) RecipeNames() ([]string, error) {
	plan, err := cfg.plan()
	if err != nil {
		return nil, err
	}
	names := []string{rowScratch}
	for _, r := range plan {
		names = append(names, r.Name)
	}
	return names, nil
}

// CompareOnly trains (or, when cfg.Out/models already holds it, loads and
// scores) only the named models of the study, each as Compare would, into
// cfg.Out/models, and returns their rows in table order. Processes that
// share the folder can so train a study's recipes apart (pods of a
// Kubernetes Job, say); a final Compare with the same configuration loads
// them and gives the table one Compare gives, apart from timing. An
// unknown name is an error listing the known ones.
func CompareOnly(ctx context.Context, cfg CompareConfig, names []string) ([]results.Model, error) {
	if cfg.Out == "" {
		return nil, fmt.Errorf("study: no output directory")
	}
	known, err := cfg.RecipeNames()
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("study: %q is not a model of the study; want one of %s", n, strings.Join(known, ", "))
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("study: no model named; want some of %s", strings.Join(known, ", "))
	}
	modelDir := filepath.Join(cfg.Out, "models")
	if err := os.MkdirAll(modelDir, 0o755); err != nil {
		return nil, fmt.Errorf("study: output directory: %w", err)
	}
	d := cfg.Data
	if d == nil {
		if d, err = LoadData(cfg.DataDir, cfg.Val, cfg.Seed); err != nil {
			return nil, err
		}
	}
	logf := func(format string, a ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", a...)
		}
	}
	plan, _ := cfg.plan()
	var rows []results.Model
	trained := map[string]*Trained{}
	if slices.Contains(names, rowScratch) {
		logf("%s: study 1, the from-scratch network", rowScratch)
		row, _, err := compareScratch(ctx, cfg, d, modelDir)
		if err != nil {
			return nil, err
		}
		rows = append(rows, *row)
	}
	for _, r := range plan {
		if !slices.Contains(names, r.Name) {
			continue
		}
		logf("%s", r.Name)
		init, err := initFor(ctx, cfg, r, d, modelDir, plan, trained)
		if err != nil {
			return nil, err
		}
		t, err := trainOrLoad(ctx, cfg, r, d, modelDir, 0, init)
		if err != nil {
			return nil, err
		}
		logf("      %s: test accuracy %.4f, %d epochs, %.1fs", r.Name, t.Result.TestAccuracy, t.Result.Epochs, t.Result.TrainSeconds)
		trained[r.Name] = t
		rows = append(rows, t.Result)
	}
	return rows, nil
}

package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/train"
)

func init() {
	register(&command{name: "eval", summary: "score a saved model on the MNIST test set", run: runEval})
}

func runEval(ctx context.Context, e *env, args []string) error {
	var asJSON bool
	var dataDir string
	var batch int
	fs := newFlags(e, "eval", "[--json] [--data DIR] MODEL.safetensors", `
Loads a model saved by 'rakam train' and scores it on the 10,000 MNIST test
images: accuracy, log loss, macro and weighted precision, recall and F1, a
per-class table and the confusion matrix (--json: the same JSON object
'rakam train --json' prints, without the training fields).`)
	fs.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	fs.StringVar(&dataDir, "data", "", "directory with the MNIST IDX files (default: $RAKAM_DATA, then the GoMNIST module)")
	fs.IntVar(&batch, "batch", 1000, "images per forward pass")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
		return usagef("missing MODEL.safetensors")
	case 1:
	default:
		return usagef("unexpected argument %q; eval takes one model", fs.Arg(1))
	}
	if batch < 1 {
		return usagef("--batch must be at least 1, got %d", batch)
	}
	path := fs.Arg(0)
	model, meta, err := nn.Load(path)
	if err != nil {
		return err
	}
	dir, err := mnist.Locate(dataDir)
	if err != nil {
		return err
	}
	test, err := mnist.LoadTest(dir)
	if err != nil {
		return err
	}
	r, err := train.Evaluate(model, test, batch)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	res := &results.Model{Name: meta[nn.MetaName], Model: path, Params: model.NumParams(),
		Extra: map[string]any{"model_file": path, "rakam_version": meta[nn.MetaVersion], "dataset_sha256": meta[nn.MetaDatasetSHA256]}}
	if res.Name == "" {
		res.Name = path
	}
	var cfg map[string]any
	if json.Unmarshal([]byte(meta[nn.MetaTrainConfig]), &cfg) == nil {
		res.Config = cfg
		if opt, ok := cfg["optimizer"].(string); ok {
			res.Optimizer = opt
		}
	}
	res.SetTest(r.Summary, r.LogLoss)
	if asJSON {
		return writeJSON(e.stdout, res)
	}
	printResult(e.stdout, res)
	return nil
}

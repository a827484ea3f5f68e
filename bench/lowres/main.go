// Command lowres fine-tunes a candidate specialist for the smallest scans:
// the study's cnn-augment-seed2 fine-tuned by cnn-real's recipe (outlier
// exposure, the trunk mix) on digits every one of which has lost its
// resolution to a few pixels (data.Degrade with MaxResolution), seen
// through imageprep, and saves it. Read it beside the study's models with
// bench/outside, whose table of the low-resolution scans by shrink size
// says what it gains:
//
//	go run ./bench/lowres --study out --out /tmp/lowres/specialist.safetensors
//	cp out/models/cnn-real.safetensors /tmp/lowres/
//	go run ./bench/outside --models /tmp/lowres --tune --n 1500
//
// docs/outside.md has what it measured (session 21: not kept).
// Exit status: 0 when the model was saved, 1 on an error, 2 for a usage
// error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/study"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("lowres", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("study", "out", "the study's output directory (its models/cnn-augment-seed2.safetensors is the start)")
	out := fs.String("out", "", "write the fine-tuned model here (required)")
	epochs := fs.Int("epochs", 4, "epochs of fine-tuning")
	lr := fs.Float64("lr", 1e-3, "learning rate")
	deg := data.Degrade{Prob: 1, MinResolution: 7, MaxResolution: 9, MaxBlur: 0.3, MaxStroke: 1, MinContrast: 0.35, Reprepare: true}
	fs.Float64Var(&deg.Prob, "prob", deg.Prob, "share of training digits degraded")
	fs.IntVar(&deg.MinResolution, "min-res", deg.MinResolution, "smallest resolution, pixels")
	fs.IntVar(&deg.MaxResolution, "max-res", deg.MaxResolution, "largest resolution, pixels")
	fs.Float64Var(&deg.MaxBlur, "blur", deg.MaxBlur, "largest blur, sigma in pixels")
	fs.Float64Var(&deg.MaxStroke, "stroke", deg.MaxStroke, "largest stroke change, pixels")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "lowres: --out FILE is required, and no arguments follow the flags")
		return 2
	}
	if err := fineTune(*dir, *out, *epochs, *lr, deg, stderr); err != nil {
		fmt.Fprintf(stderr, "lowres: %v\n", err)
		return 1
	}
	return 0
}

func fineTune(dir, out string, epochs int, lr float64, deg data.Degrade, log io.Writer) error {
	if err := deg.Validate(); err != nil { // before the minutes of loading and training
		return err
	}
	from, _, err := nn.Load(filepath.Join(dir, "models", "cnn-augment-seed2.safetensors"))
	if err != nil {
		return err
	}
	e, err := study.ZooByName("cnn-real")
	if err != nil {
		return err
	}
	r := study.FromZoo(e, 1)
	r.Name, r.Epochs, r.LR = "lowres-specialist", epochs, lr
	a := data.DefaultAugment()
	a.Degrade = &deg
	r.Augment = a
	d, err := study.LoadData("", 5000, 1)
	if err != nil {
		return err
	}
	t, err := study.Train(context.Background(), r, d, study.RunOptions{Init: from, Test: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "lowres: %s: %d epochs in %.1f s, MNIST test accuracy %.4f\n", out, epochs, t.Result.TrainSeconds, t.Result.TestAccuracy)
	return study.SaveTrained(out, t, d)
}

// Command rakam_model is the rakam side of bench/peers/run.sh: it trains
// one zoo model (or study 1's scratch network) and prints one JSON line with
// seconds per training epoch, training and inference images/s, peak RSS and
// test accuracy — the same fields torch_model.py and numpy_scratch.py print.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/scratch"
	"github.com/rakam-ml/rakam/study"
	"github.com/rakam-ml/rakam/tensor"
	"github.com/rakam-ml/rakam/train"
)

func main() {
	model := flag.String("model", "baseline-adam", "zoo model, or scratch for study 1's network")
	epochs := flag.Int("epochs", 1, "epochs to train")
	batch := flag.Int("batch", 0, "batch size (0: the model's default)")
	threads := flag.Int("threads", 2, "threads for matrix products")
	seed := flag.Uint64("seed", 1, "seed of the weights, shuffling and dropout (the split stays seed 1's, as PyTorch's scripts use)")
	showBatch := flag.Bool("show-batch", false, "print the model's default batch size and exit (run.sh gives PyTorch the same)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (data loading, training, evaluation) to this file")
	flag.Parse()
	if *cpuprofile != "" {
		// Collected in memory and written at the end in one atomic step,
		// as every file rakam writes.
		if err := atomicfile.CheckTarget(*cpuprofile); err != nil {
			fail(err)
		}
		var prof bytes.Buffer
		if err := pprof.StartCPUProfile(&prof); err != nil {
			fail(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			if err := atomicfile.WriteFile(*cpuprofile, prof.Bytes(), 0o644); err != nil {
				fail(err)
			}
		}()
	}
	if *showBatch {
		b := scratch.DefaultConfig().Batch
		if *model != "scratch" {
			e, err := study.ZooByName(*model)
			if err != nil {
				fail(err)
			}
			b = e.Batch
		}
		fmt.Println(b)
		return
	}
	tensor.SetThreads(*threads)
	d, err := study.LoadData("", 5000, 1)
	if err != nil {
		fail(err)
	}
	var t *study.Trained
	if *model == "scratch" {
		sc := scratch.DefaultConfig()
		sc.Epochs = *epochs
		if *batch > 0 {
			sc.Batch = *batch
		}
		t, err = study.TrainScratch(context.Background(), sc, d, nil)
	} else {
		e, zerr := study.ZooByName(*model)
		if zerr != nil {
			fail(zerr)
		}
		r := study.FromZoo(e, *seed)
		r.Epochs = *epochs
		if *batch > 0 {
			r.Batch = *batch
		}
		t, err = study.Train(context.Background(), r, d, study.RunOptions{Test: true})
	}
	if err != nil {
		fail(err)
	}
	// Inference over the 10k test images, batches of 1000, best of 3.
	best := 0.0
	for i := 0; i < 3; i++ {
		start := time.Now()
		if _, err := train.Predict(t.Model, d.Test, 1000); err != nil {
			fail(err)
		}
		if s := time.Since(start).Seconds(); best == 0 || s < best {
			best = s
		}
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	out := map[string]any{
		"peer": "rakam", "model": *model, "seed": *seed, "threads": *threads, "batch": t.Recipe.Batch, "epochs": *epochs,
		"seconds_per_epoch":       t.Result.SecondsPerEpoch,
		"train_images_per_second": t.Result.ImagesPerSecond,
		"infer_images_per_second": float64(d.Test.N) / best,
		"peak_rss_mb":             float64(ru.Maxrss) / 1024,
		"test_accuracy":           t.Result.TestAccuracy,
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rakam_model:", err)
	os.Exit(1)
}

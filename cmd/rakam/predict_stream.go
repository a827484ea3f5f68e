package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/rakam-ml/rakam/infer"
)

// The --jsonl pipeline's bounds: at most streamWindow images wait between
// the reader and the writer (plus one model batch of streamBatch and one
// image per worker), so memory does not grow with the number of files.
const (
	streamBatch  = 64
	streamWindow = 128
)

// streamItem is one image on its way through the --jsonl pipeline.
type streamItem struct {
	pred prediction
	prep *prepared
	err  error
	done chan struct{} // closed when prep/err are set
}

// predictStream implements --jsonl: a producer puts the files, in order,
// on an ordered queue of at most streamWindow items and hands each to a
// group of workers that decode and prepare them (at most one per core,
// errgroup's SetLimit); the writer takes items from the queue in input
// order, runs those already prepared through the model in one batch, and
// writes one JSON line per image as soon as it has its prediction.
func predictStream(parent context.Context, e *env, model *infer.Model, files []string, opts predictOptions) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	order := make(chan *streamItem, streamWindow)
	// An image that fails is reported on its own line (it.err), so no
	// worker returns an error to the group.
	var workers errgroup.Group
	workers.SetLimit(runtime.GOMAXPROCS(0))
	produced := make(chan struct{})
	go func() { // producer
		defer close(produced)
		defer close(order)
		for _, f := range files {
			it := &streamItem{pred: prediction{File: f}, done: make(chan struct{})}
			select {
			case order <- it:
			case <-ctx.Done():
				return
			}
			if err := ctx.Err(); err != nil {
				it.err = err
				close(it.done)
				return
			}
			// Waits for a free worker, as a send to a pool would.
			workers.Go(func() error {
				if err := ctx.Err(); err != nil {
					it.err = err
				} else {
					it.prep, it.pred.Show, it.err = prepareInput(it.pred.File, e.stdin, opts)
				}
				close(it.done)
				return nil
			})
		}
	}()
	failed, err := writeStream(ctx, e, model, order)
	cancel()
	// Let the producer and workers finish what they hold; a worker
	// blocked reading standard input ends with it. The producer is done
	// starting workers before the group is waited for.
	go func() {
		for range order {
		}
	}()
	<-produced
	workers.Wait()
	if parent.Err() != nil {
		return &exitError{code: exitInterrupted, err: errors.New("interrupted")}
	}
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d images could not be read", failed, len(files))
	}
	return nil
}

// writeStream is the writer side of predictStream. It returns how many
// images failed.
func writeStream(ctx context.Context, e *env, model *infer.Model, order <-chan *streamItem) (int, error) {
	enc := json.NewEncoder(e.stdout) // one Write per line
	maxBatch := max(1, min(streamBatch, model.MaxBatch()))
	batch := make([]*streamItem, 0, maxBatch)
	x := make([]float32, 0, maxBatch*infer.Pixels)
	var pending *streamItem // taken from the queue, not yet prepared
	failed := 0
	for {
		first := pending
		pending = nil
		if first == nil {
			var ok bool
			if first, ok = <-order; !ok {
				return failed, nil
			}
		}
		select {
		case <-first.done:
		case <-ctx.Done():
			return failed, ctx.Err()
		}
		// Take the items behind it that are already prepared, so a fast
		// stream of images runs in batches and a slow one line by line.
		batch = append(batch[:0], first)
	gather:
		for len(batch) < maxBatch {
			select {
			case it, ok := <-order:
				if !ok {
					break gather
				}
				select {
				case <-it.done:
					batch = append(batch, it)
				default:
					pending = it
					break gather
				}
			default:
				break gather
			}
		}
		if err := ctx.Err(); err != nil {
			return failed, err
		}
		x = x[:0]
		n := 0
		for _, it := range batch {
			if it.err == nil {
				x = append(x, it.prep.pixels()...)
				n += it.prep.examples()
			}
		}
		var probs []float32
		if n > 0 {
			p, err := model.PredictBatch(x, n)
			if err != nil {
				return failed, err
			}
			probs = p
		}
		k := 0
		for _, it := range batch {
			p := it.pred
			if it.err != nil {
				p.Error = it.err.Error()
				failed++
				fmt.Fprintf(e.stderr, "rakam predict: %v\n", it.err)
			} else {
				m := it.prep.examples()
				if err := it.prep.answer(model, &p, probs[k*infer.Classes:(k+m)*infer.Classes:(k+m)*infer.Classes]); err != nil {
					return failed, err
				}
				k += m
			}
			it.prep = nil // the image is done with; let it go
			if err := enc.Encode(p); err != nil {
				return failed, fmt.Errorf("writing the output: %w", err)
			}
		}
	}
}

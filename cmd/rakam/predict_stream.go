package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/serve"
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
	pred  prediction
	digit *imageprep.Digit
	err   error
	done  chan struct{} // closed when digit/err are set
}

// predictStream implements --jsonl: a producer hands the files, in order,
// to a pool of workers that decode and prepare them (one per core) and to
// an ordered queue of at most streamWindow items; the writer takes items
// from the queue in input order, runs those already prepared through the
// model in one batch, and writes one JSON line per image as soon as it has
// its prediction.
func predictStream(parent context.Context, e *env, cls *serve.Model, files []string, show bool) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	order := make(chan *streamItem, streamWindow)
	work := make(chan *streamItem)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // producer
		defer wg.Done()
		defer close(work)
		defer close(order)
		for _, f := range files {
			it := &streamItem{pred: prediction{File: f}, done: make(chan struct{})}
			select {
			case order <- it:
			case <-ctx.Done():
				return
			}
			select {
			case work <- it:
			case <-ctx.Done():
				it.err = ctx.Err()
				close(it.done)
				return
			}
		}
	}()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() { // worker
			defer wg.Done()
			for it := range work {
				if err := ctx.Err(); err != nil {
					it.err = err
				} else {
					it.digit, it.err = prepareImage(it.pred.File, e.stdin)
					if it.err == nil && show {
						it.pred.Show, it.err = writeShow(it.pred.File, it.digit)
					}
				}
				close(it.done)
			}
		}()
	}
	failed, err := writeStream(ctx, e, cls, order)
	cancel()
	// Let the producer and workers finish what they hold; a worker
	// blocked reading standard input ends with it.
	go func() {
		for range order {
		}
	}()
	wg.Wait()
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
func writeStream(ctx context.Context, e *env, cls *serve.Model, order <-chan *streamItem) (int, error) {
	enc := json.NewEncoder(e.stdout) // one Write per line
	maxBatch := max(1, min(streamBatch, cls.MaxExamples()))
	batch := make([]*streamItem, 0, maxBatch)
	x := make([]float32, 0, maxBatch*serve.Pixels)
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
				x = append(x, it.digit.Pixels...)
				n++
			}
		}
		var probs []float32
		if n > 0 {
			p, err := cls.Predict(x, n)
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
				pr := slices.Clone(probs[k*serve.Classes : (k+1)*serve.Classes])
				label := argmaxFloat(pr)
				p.Label, p.Probabilities, p.Inverted = &label, pr, &it.digit.Inverted
				k++
			}
			it.digit = nil // the image is done with; let it go
			if err := enc.Encode(p); err != nil {
				return failed, fmt.Errorf("writing the output: %w", err)
			}
		}
	}
}

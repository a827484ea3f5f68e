package serve

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// errBusy is returned when the queue of predictions is full.
var errBusy = errors.New("server busy: too many predictions waiting; retry shortly")

// errClosed is returned after Close.
var errClosed = errors.New("server shutting down")

// job is one example waiting for a worker.
type job struct {
	x     []float32 // Pixels values
	probs [Classes]float32
	err   error
	done  chan struct{}
}

// batcher feeds queued examples to its workers in batches.
type batcher struct {
	queue    chan *job
	maxBatch int
	quit     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
	observe  func(batch int) // metrics hook
}

func newBatcher(cs []Classifier, queue, maxBatch int, observe func(int)) *batcher {
	b := &batcher{
		queue:    make(chan *job, queue),
		maxBatch: maxBatch,
		quit:     make(chan struct{}),
		observe:  observe,
	}
	for _, c := range cs {
		b.wg.Add(1)
		go b.work(c)
	}
	return b
}

// predict queues x and waits for its probabilities. It refuses at once with
// errBusy when the queue is full, and gives up when ctx ends.
func (b *batcher) predict(ctx context.Context, x []float32) ([Classes]float32, error) {
	j := &job{x: x, done: make(chan struct{})}
	select {
	case <-b.quit:
		return j.probs, errClosed
	default:
	}
	select {
	case b.queue <- j:
	default:
		return j.probs, errBusy
	}
	select {
	case <-j.done:
		return j.probs, j.err
	case <-ctx.Done():
		return j.probs, ctx.Err()
	case <-b.quit:
		return j.probs, errClosed
	}
}

func (b *batcher) work(c Classifier) {
	defer b.wg.Done()
	batch := make([]*job, 0, b.maxBatch)
	x := make([]float32, 0, b.maxBatch*Pixels)
	for {
		select {
		case <-b.quit:
			return
		case j := <-b.queue:
			batch = append(batch[:0], j)
		}
		// Take whatever else is already waiting: no timer, so an idle
		// server answers at once and a busy one batches.
	drain:
		for len(batch) < b.maxBatch {
			select {
			case j := <-b.queue:
				batch = append(batch, j)
			default:
				break drain
			}
		}
		x = x[:0]
		for _, j := range batch {
			x = append(x, j.x...)
		}
		probs, err := safePredict(c, x, len(batch))
		if b.observe != nil {
			b.observe(len(batch))
		}
		for i, j := range batch {
			if err != nil {
				j.err = err
			} else {
				copy(j.probs[:], probs[i*Classes:(i+1)*Classes])
			}
			close(j.done)
		}
	}
}

// safePredict turns a panic in the model (a bug) into an error so that one
// batch fails with 500 instead of the whole server dying.
func safePredict(c Classifier, x []float32, n int) (p []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("model panicked: %v", r)
		}
	}()
	p, err = c.Predict(x, n)
	if err == nil && len(p) < n*Classes {
		err = fmt.Errorf("model returned %d probabilities for %d examples", len(p), n)
	}
	return p, err
}

// close stops the workers after the batch in progress.
func (b *batcher) close() {
	b.once.Do(func() { close(b.quit) })
	b.wg.Wait()
}

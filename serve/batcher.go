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

// job is one or more examples waiting for a worker, at most maxBatch.
type job struct {
	x     []float32 // n*Pixels values
	n     int
	probs []float32 // n*Classes, written by the worker
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

// predict queues the n examples of x (n*Pixels values) and waits for their
// n*Classes probabilities. More than maxBatch examples go as several jobs,
// which workers may run in different batches. It refuses at once with
// errBusy when the queue has no room for all of them, and gives up when ctx
// ends.
func (b *batcher) predict(ctx context.Context, x []float32, n int) ([]float32, error) {
	if n <= 0 || len(x) != n*Pixels {
		return nil, fmt.Errorf("serve: %d values for %d examples", len(x), n)
	}
	select {
	case <-b.quit:
		return nil, errClosed
	default:
	}
	probs := make([]float32, n*Classes)
	jobs := make([]*job, 0, (n+b.maxBatch-1)/b.maxBatch)
	if cap(jobs) > cap(b.queue)-len(b.queue) {
		return nil, errBusy
	}
	for lo := 0; lo < n; lo += b.maxBatch {
		k := min(b.maxBatch, n-lo)
		j := &job{x: x[lo*Pixels : (lo+k)*Pixels], n: k, probs: probs[lo*Classes : (lo+k)*Classes], done: make(chan struct{})}
		select {
		case b.queue <- j:
		default:
			return nil, errBusy // jobs already queued still run; their answers are dropped
		}
		jobs = append(jobs, j)
	}
	for _, j := range jobs {
		select {
		case <-j.done:
			if j.err != nil {
				return nil, j.err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-b.quit:
			return nil, errClosed
		}
	}
	return probs, nil
}

func (b *batcher) work(c Classifier) {
	defer b.wg.Done()
	batch := make([]*job, 0, b.maxBatch)
	x := make([]float32, 0, b.maxBatch*Pixels)
	var next *job // taken from the queue but did not fit the last batch
	for {
		if next != nil {
			batch, next = append(batch[:0], next), nil
		} else {
			select {
			case <-b.quit:
				return
			case j := <-b.queue:
				batch = append(batch[:0], j)
			}
		}
		n := batch[0].n
		// Take whatever else is already waiting: no timer, so an idle
		// server answers at once and a busy one batches.
	drain:
		for n < b.maxBatch {
			select {
			case j := <-b.queue:
				if n+j.n > b.maxBatch {
					next = j
					break drain
				}
				batch = append(batch, j)
				n += j.n
			default:
				break drain
			}
		}
		x = x[:0]
		for _, j := range batch {
			x = append(x, j.x...)
		}
		probs, err := safePredict(c, x, n)
		if b.observe != nil {
			b.observe(n)
		}
		off := 0
		for _, j := range batch {
			if err != nil {
				j.err = err
			} else {
				copy(j.probs, probs[off*Classes:(off+j.n)*Classes])
			}
			off += j.n
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

package data

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/rakam-ml/rakam/mnist"
)

// Options configures a Loader. The zero value visits examples in order, one
// worker, no augmentation, and keeps a short last batch.
type Options struct {
	Shuffle  bool     // visit examples in a new seeded order each epoch
	Seed     uint64   // seeds shuffling and augmentation
	Augment  *Augment // nil: no augmentation
	Workers  int      // goroutines preparing batches; 0: 1 without augmentation, GOMAXPROCS with it
	Prefetch int      // batches prepared ahead of the consumer; 0 means 2
	DropLast bool     // drop a last batch smaller than the batch size
}

// Loader turns a set of uint8 images into float32 batches: x holds
// batch*Rows*Cols pixels in [0, 1] (see Normalize), row-major, one image
// after another; y the labels. Batches are prepared on worker goroutines
// ahead of the consumer. What a batch holds depends only on the set, the
// batch size, the options and the epoch number, never on goroutine timing or
// the number of workers.
type Loader struct {
	set     *mnist.Set
	batch   int
	opts    Options
	pixels  int
	workers int
	slots   []*slot
	order   []int        // the open iterator's epoch order
	augs    []*Augmenter // one per worker, nil without augmentation
	mu      sync.Mutex
	open    *Iter // the iterator currently using the slots
}

// slot is one batch buffer; the consumer holds at most one at a time and
// workers fill the others.
type slot struct {
	x     []float32
	y     []uint8
	n     int           // examples in the batch held
	free  chan struct{} // a token here means a worker may fill the slot
	ready chan struct{} // a token here means the consumer may read it
}

// NewLoader returns a loader of batches of size batch over set.
func NewLoader(set *mnist.Set, batch int, opts Options) (*Loader, error) {
	if set == nil || set.N <= 0 {
		return nil, fmt.Errorf("data: empty set")
	}
	if set.Rows <= 0 || set.Cols <= 0 || len(set.Images) != set.N*set.Rows*set.Cols || len(set.Labels) != set.N {
		return nil, fmt.Errorf("data: inconsistent set: %d images of %dx%d, %d pixels, %d labels",
			set.N, set.Rows, set.Cols, len(set.Images), len(set.Labels))
	}
	if batch <= 0 {
		return nil, fmt.Errorf("data: batch size %d; want at least 1", batch)
	}
	if opts.DropLast && batch > set.N {
		return nil, fmt.Errorf("data: batch size %d is larger than the %d examples and DropLast is set: no batch left", batch, set.N)
	}
	if opts.Workers < 0 || opts.Prefetch < 0 {
		return nil, fmt.Errorf("data: Workers %d and Prefetch %d must not be negative", opts.Workers, opts.Prefetch)
	}
	if opts.Augment != nil {
		a := *opts.Augment
		opts.Augment = &a // the caller may change theirs afterwards
		if err := a.Validate(); err != nil {
			return nil, err
		}
	}
	var err error
	l := &Loader{set: set, batch: batch, opts: opts, pixels: set.Rows * set.Cols}
	l.workers = opts.Workers
	if l.workers == 0 {
		l.workers = 1
		if opts.Augment != nil {
			l.workers = runtime.GOMAXPROCS(0)
		}
	}
	l.order = make([]int, set.N)
	if opts.Augment != nil {
		l.augs = make([]*Augmenter, l.workers)
		for w := range l.augs {
			if l.augs[w], err = NewAugmenter(*opts.Augment, set.Rows, set.Cols); err != nil {
				return nil, err
			}
		}
	} else {
		l.augs = make([]*Augmenter, l.workers)
	}
	prefetch := opts.Prefetch
	if prefetch == 0 {
		prefetch = 2
	}
	// A multiple of the worker count, so that each slot is only ever filled
	// by one worker (batch b goes to worker b mod W and slot b mod len).
	nslots := (l.workers + prefetch + l.workers - 1) / l.workers * l.workers
	l.slots = make([]*slot, nslots)
	for i := range l.slots {
		l.slots[i] = &slot{
			// A batch never holds more than the whole set, however large
			// the batch size asked for.
			x:     make([]float32, min(batch, set.N)*l.pixels),
			y:     make([]uint8, min(batch, set.N)),
			free:  make(chan struct{}, 1),
			ready: make(chan struct{}, 1),
		}
	}
	return l, nil
}

// NumBatches returns the number of batches per epoch.
func (l *Loader) NumBatches() int {
	if l.opts.DropLast {
		return l.set.N / l.batch
	}
	return (l.set.N + l.batch - 1) / l.batch
}

// BatchSize returns the batch size.
func (l *Loader) BatchSize() int { return l.batch }

// Order returns the order in which the examples are visited in epoch.
func (l *Loader) Order(epoch int) []int {
	return Order(l.set.N, l.opts.Shuffle, l.opts.Seed, epoch)
}

// Epoch starts an iterator over the batches of epoch. The order and the
// augmentation depend only on the options' seed and epoch.
func (l *Loader) Epoch(epoch int) *Iter { return l.EpochFrom(epoch, 0) }

// EpochFrom starts an iterator at batch index from (0-based) of epoch, as a
// resumed run needs: the batches it yields are those that Epoch(epoch) would
// yield from that point on. A loader has one open iterator at a time;
// starting a new one closes the previous one.
func (l *Loader) EpochFrom(epoch, from int) *Iter {
	l.mu.Lock()
	prev := l.open
	l.mu.Unlock()
	if prev != nil {
		prev.Close()
	}
	nb := l.NumBatches()
	from = min(max(from, 0), nb)
	it := &Iter{
		l:     l,
		order: l.order,
		epoch: epoch,
		next:  from,
		end:   nb,
		held:  -1,
		done:  make(chan struct{}),
	}
	fillOrder(l.order, l.opts.Shuffle, l.opts.Seed, epoch)
	for _, s := range l.slots {
		drain(s.ready)
		drain(s.free)
		s.free <- struct{}{}
	}
	l.mu.Lock()
	l.open = it
	l.mu.Unlock()
	it.wg.Add(l.workers)
	for w := 0; w < l.workers; w++ {
		go it.work(w, from, nb)
	}
	return it
}

func drain(c chan struct{}) {
	select {
	case <-c:
	default:
	}
}

// Iter yields the batches of one epoch in order.
type Iter struct {
	l         *Loader
	order     []int
	epoch     int
	next, end int // next batch index to hand out; batches in [from, end)
	held      int // batch index whose slot the consumer holds, or -1
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// Next returns the next batch: x holds len(y)*Rows*Cols pixels. The slices
// are reused: they stay valid only until the next call to Next or Close.
// ok is false after the last batch. One goroutine consumes an iterator.
func (it *Iter) Next() (x []float32, y []uint8, ok bool) {
	l := it.l
	select {
	case <-it.done:
		return nil, nil, false
	default:
	}
	if it.held >= 0 {
		l.slotOf(it.held).free <- struct{}{} // the consumer is done with it
		it.held = -1
	}
	if it.next >= it.end {
		it.Close()
		return nil, nil, false
	}
	b := it.next
	s := l.slotOf(b)
	select {
	case <-s.ready:
	case <-it.done:
		return nil, nil, false
	}
	it.next++
	it.held = b
	return s.x[:s.n*l.pixels], s.y[:s.n], true
}

// Batch returns the index (0-based) of the batch the last Next returned.
func (it *Iter) Batch() int { return it.next - 1 }

// Close stops the workers and waits for them. It may be called more than
// once, and from another goroutine than the consumer's (to stop a Next
// that is waiting); Next returns ok == false afterwards.
func (it *Iter) Close() {
	it.closeOnce.Do(func() {
		close(it.done)
		it.wg.Wait()
		it.l.mu.Lock()
		if it.l.open == it {
			it.l.open = nil
		}
		it.l.mu.Unlock()
	})
}

func (l *Loader) slotOf(b int) *slot { return l.slots[b%len(l.slots)] }

// work fills batches w, w+W, w+2W, ... each in slot b mod len(slots). Since
// len(slots) is a multiple of W, a slot belongs to one worker, which fills
// it with its batches in increasing order; the consumer frees the slot only
// after reading the batch in it, so no batch is overwritten before it is
// read, and the consumer reads the batches in order.
func (it *Iter) work(w, from, end int) {
	defer it.wg.Done()
	l := it.l
	aug := l.augs[w]
	first := from + (w-from%l.workers+l.workers)%l.workers
	for b := first; b < end; b += l.workers {
		s := l.slotOf(b)
		select {
		case <-s.free:
		case <-it.done:
			return
		}
		l.fill(s, it.order, it.epoch, b, aug)
		s.ready <- struct{}{}
	}
}

// fill writes batch b of the epoch into s.
func (l *Loader) fill(s *slot, order []int, epoch, b int, aug *Augmenter) {
	lo := b * l.batch
	hi := min(lo+l.batch, len(order))
	p := l.pixels
	s.n = hi - lo
	for k, idx := range order[lo:hi] {
		src := l.set.Images[idx*p : (idx+1)*p]
		dst := s.x[k*p : (k+1)*p]
		if aug != nil {
			aug.Apply(dst, src, l.opts.Seed, epoch, idx)
		} else {
			Normalize(dst, src)
		}
		s.y[k] = l.set.Labels[idx]
	}
}

package data

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/mnist"
)

// synthSet returns n images of rows x cols whose first pixel encodes the
// index (so batches can be traced back) and whose label is index mod 10.
func synthSet(n, rows, cols int) *mnist.Set {
	p := rows * cols
	s := &mnist.Set{Images: make([]uint8, n*p), Labels: make([]uint8, n), N: n, Rows: rows, Cols: cols}
	for i := 0; i < n; i++ {
		img := s.Images[i*p : (i+1)*p]
		for j := range img {
			img[j] = uint8((i*131 + j*7) % 256)
		}
		img[0] = uint8(i % 256)
		img[1] = uint8(i / 256)
		s.Labels[i] = uint8(i % 10)
	}
	return s
}

// collect runs an epoch and returns copies of every batch.
func collect(t testing.TB, l *Loader, epoch, from int) (xs [][]float32, ys [][]uint8) {
	it := l.EpochFrom(epoch, from)
	defer it.Close()
	for {
		x, y, ok := it.Next()
		if !ok {
			break
		}
		xs = append(xs, slices.Clone(x))
		ys = append(ys, slices.Clone(y))
	}
	return xs, ys
}

func TestNormalize(t *testing.T) {
	src := []uint8{0, 1, 127, 128, 254, 255}
	dst := make([]float32, len(src)+1)
	dst[len(src)] = -7 // must stay untouched
	Normalize(dst, src)
	for i, v := range src {
		if want := float32(v) / 255; dst[i] != want {
			t.Errorf("Normalize(%d) = %v; want %v", v, dst[i], want)
		}
	}
	if dst[0] != 0 || dst[5] != 1 {
		t.Errorf("Normalize range: got %v..%v; want 0..1", dst[0], dst[5])
	}
	if dst[len(src)] != -7 {
		t.Errorf("Normalize wrote past len(src)")
	}
}

func TestLoaderVisitsEveryExampleOnce(t *testing.T) {
	set := synthSet(103, 4, 5)
	for _, tc := range []struct {
		batch    int
		shuffle  bool
		dropLast bool
		workers  int
	}{
		{10, false, false, 1}, {10, true, false, 1}, {10, true, false, 3}, {10, true, true, 2},
		{1, true, false, 2}, {103, true, false, 1}, {200, false, false, 4},
	} {
		t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
			l, err := NewLoader(set, tc.batch, Options{Shuffle: tc.shuffle, Seed: 7, DropLast: tc.dropLast, Workers: tc.workers})
			if err != nil {
				t.Fatal(err)
			}
			xs, ys := collect(t, l, 1, 0)
			if len(xs) != l.NumBatches() {
				t.Fatalf("got %d batches; NumBatches() = %d", len(xs), l.NumBatches())
			}
			seen := make([]int, set.N)
			var order []int
			for b := range xs {
				n := len(ys[b])
				if len(xs[b]) != n*20 {
					t.Fatalf("batch %d: %d pixels for %d labels", b, len(xs[b]), n)
				}
				if n != tc.batch && !(b == len(xs)-1 && !tc.dropLast) {
					t.Fatalf("batch %d has %d examples; want %d", b, n, tc.batch)
				}
				for k := 0; k < n; k++ {
					img := xs[b][k*20 : (k+1)*20]
					idx := int(math.Round(float64(img[0])*255)) + 256*int(math.Round(float64(img[1])*255))
					seen[idx]++
					order = append(order, idx)
					if ys[b][k] != set.Labels[idx] {
						t.Fatalf("label of example %d = %d; want %d", idx, ys[b][k], set.Labels[idx])
					}
					want := make([]float32, 20)
					Normalize(want, set.Image(idx))
					if !slices.Equal(img, want) {
						t.Fatalf("pixels of example %d differ from Normalize(image)", idx)
					}
				}
			}
			total := 0
			for i, c := range seen {
				if c > 1 {
					t.Fatalf("example %d seen %d times", i, c)
				}
				total += c
			}
			want := set.N
			if tc.dropLast {
				want = set.N / tc.batch * tc.batch
			}
			if total != want {
				t.Fatalf("saw %d examples; want %d", total, want)
			}
			if !slices.Equal(order, l.Order(1)[:total]) {
				t.Errorf("batches do not follow Order(1)")
			}
			if !tc.shuffle && !slices.IsSorted(order) {
				t.Errorf("unshuffled order is not 0..n-1")
			}
		})
	}
}

func TestLoaderDeterministic(t *testing.T) {
	set := synthSet(250, 28, 28)
	aug := &Augment{MaxShift: 2, MaxRotate: 15, MinScale: 0.9, MaxScale: 1.1, ElasticAlpha: 20, ElasticSigma: 3}
	for _, a := range []*Augment{nil, aug} {
		t.Run(fmt.Sprintf("augment=%v", a != nil), func(t *testing.T) {
			ref, err := NewLoader(set, 16, Options{Shuffle: true, Seed: 42, Augment: a, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			x1, y1 := collect(t, ref, 3, 0)
			for _, workers := range []int{1, 2, 5} {
				for _, prefetch := range []int{1, 4} {
					l, err := NewLoader(set, 16, Options{Shuffle: true, Seed: 42, Augment: a, Workers: workers, Prefetch: prefetch})
					if err != nil {
						t.Fatal(err)
					}
					x2, y2 := collect(t, l, 3, 0)
					if !equalBatches(x1, x2) || !equalLabels(y1, y2) {
						t.Fatalf("workers=%d prefetch=%d: batches differ from the 1-worker run", workers, prefetch)
					}
					// Resume: batches from 5 on equal the tail of the full epoch.
					x3, y3 := collect(t, l, 3, 5)
					if !equalBatches(x1[5:], x3) || !equalLabels(y1[5:], y3) {
						t.Fatalf("workers=%d: EpochFrom(3, 5) differs from Epoch(3)[5:]", workers)
					}
				}
			}
			// Another epoch and another seed give other batches.
			x4, _ := collect(t, ref, 4, 0)
			if equalBatches(x1, x4) {
				t.Errorf("epochs 3 and 4 gave identical batches")
			}
			other, _ := NewLoader(set, 16, Options{Shuffle: true, Seed: 43, Augment: a})
			x5, _ := collect(t, other, 3, 0)
			if equalBatches(x1, x5) {
				t.Errorf("seeds 42 and 43 gave identical batches")
			}
		})
	}
}

func equalBatches(a, b [][]float32) bool {
	return slices.EqualFunc(a, b, func(x, y []float32) bool { return slices.Equal(x, y) })
}

func equalLabels(a, b [][]uint8) bool {
	return slices.EqualFunc(a, b, func(x, y []uint8) bool { return slices.Equal(x, y) })
}

func TestOrderIsPermutation(t *testing.T) {
	for _, n := range []int{0, 1, 2, 17, 1000} {
		p := Order(n, true, 5, 2)
		q := slices.Clone(p)
		slices.Sort(q)
		for i := range q {
			if q[i] != i {
				t.Fatalf("Order(%d) is not a permutation: %v", n, p)
			}
		}
		if n >= 17 && slices.IsSorted(p) {
			t.Errorf("Order(%d, shuffle) is sorted", n)
		}
	}
	if !slices.Equal(Order(50, true, 5, 2), Order(50, true, 5, 2)) {
		t.Error("Order is not deterministic")
	}
}

func TestLoaderCloseNoLeak(t *testing.T) {
	set := synthSet(500, 28, 28)
	before := runtime.NumGoroutine()
	l, err := NewLoader(set, 8, Options{Shuffle: true, Seed: 1, Workers: 4, Augment: DefaultAugment()})
	if err != nil {
		t.Fatal(err)
	}
	for epoch := 0; epoch < 20; epoch++ {
		it := l.Epoch(epoch)
		for i := 0; i < epoch%3; i++ { // stop early, at various points
			if _, _, ok := it.Next(); !ok {
				t.Fatal("epoch ended early")
			}
		}
		if epoch%5 != 4 {
			it.Close()
			it.Close() // twice is fine
			if _, _, ok := it.Next(); ok {
				t.Fatal("Next after Close returned a batch")
			}
		} // else: the next Epoch call closes it
	}
	// A full epoch after all that still yields everything.
	xs, _ := collect(t, l, 99, 0)
	if len(xs) != l.NumBatches() {
		t.Fatalf("got %d batches after reuse; want %d", len(xs), l.NumBatches())
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after closing; %d before", n, before)
	}
}

func TestNewLoaderErrors(t *testing.T) {
	set := synthSet(10, 2, 2)
	for _, tc := range []struct {
		name  string
		set   *mnist.Set
		batch int
		opts  Options
	}{
		{"nil set", nil, 1, Options{}},
		{"zero batch", set, 0, Options{}},
		{"drop everything", set, 11, Options{DropLast: true}},
		{"negative workers", set, 2, Options{Workers: -1}},
		{"bad augment", set, 2, Options{Augment: &Augment{MaxRotate: 400}}},
		{"elastic without sigma", set, 2, Options{Augment: &Augment{ElasticAlpha: 3}}},
		{"scale inverted", set, 2, Options{Augment: &Augment{MinScale: 1.2, MaxScale: 1.1}}},
		{"inconsistent", &mnist.Set{Images: make([]uint8, 3), Labels: make([]uint8, 1), N: 1, Rows: 2, Cols: 2}, 1, Options{}},
	} {
		if _, err := NewLoader(tc.set, tc.batch, tc.opts); err == nil {
			t.Errorf("NewLoader(%s) = nil error; want one", tc.name)
		}
	}
}

func TestLoaderNoAllocPerBatch(t *testing.T) {
	set := synthSet(4000, 28, 28)
	l, err := NewLoader(set, 10, Options{Shuffle: true, Seed: 1, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	it := l.Epoch(1)
	defer it.Close()
	it.Next()
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, ok := it.Next(); !ok {
			t.Fatal("ran out of batches")
		}
	})
	if allocs != 0 {
		t.Errorf("Next allocates %v times per batch; want 0", allocs)
	}
}

package gemm

import (
	"fmt"
	"runtime"
	"testing"
)

// TestScratchSurvivesGC checks that concurrent Sgemm callers (a layer's
// partitions, the pool's workers) keep their packing buffers across garbage
// collections: were the second caller's scratch from a sync.Pool, a GC would
// drop it and the next training step would allocate again.
func TestScratchSurvivesGC(t *testing.T) {
	const holders = 3
	var held [holders]*scratch
	for i := range held {
		held[i] = getScratch()
		held[i].ensure(64, 128, 16)
	}
	bufs := make([]*float32, holders)
	for i, s := range held {
		bufs[i] = &s.a[0]
	}
	for i := holders - 1; i >= 0; i-- {
		putScratch(held[i])
	}
	runtime.GC()
	runtime.GC() // a sync.Pool keeps its items for one collection
	for i := range held {
		held[i] = getScratch()
	}
	defer func() {
		for i := holders - 1; i >= 0; i-- {
			putScratch(held[i])
		}
	}()
	for i, s := range held {
		if len(s.a) == 0 || &s.a[0] != bufs[i] {
			t.Errorf("caller %d of %d concurrent ones lost its packing buffer in a GC", i+1, holders)
		}
	}
}

// TestScratchOverflow checks that callers beyond the resident scratches
// still get one, from the pool, and that returning it leaves the residents
// free.
func TestScratchOverflow(t *testing.T) {
	var held []*scratch
	for range residentSlots + 2 {
		held = append(held, getScratch())
	}
	for i, s := range held {
		if resident := i < residentSlots; (s.slot > 0) != resident {
			t.Errorf("scratch %d: slot %d; want resident %v", i, s.slot, resident)
		}
		for _, o := range held[:i] {
			if o == s {
				t.Fatalf("scratch %d handed out twice", i)
			}
		}
	}
	for _, s := range held {
		putScratch(s)
	}
	if s := getScratch(); s.slot != 1 {
		t.Errorf("after every scratch came back, the next caller got slot %d; want 1", s.slot)
	} else {
		putScratch(s)
	}
}

// BenchmarkScratch times taking and returning a scratch, with held others
// already taken by concurrent callers.
func BenchmarkScratch(b *testing.B) {
	for _, held := range []int{0, 1, residentSlots - 1, residentSlots} {
		b.Run(fmt.Sprintf("held=%d", held), func(b *testing.B) {
			var hs []*scratch
			for range held {
				hs = append(hs, getScratch())
			}
			for b.Loop() {
				putScratch(getScratch())
			}
			for _, s := range hs {
				putScratch(s)
			}
		})
	}
}

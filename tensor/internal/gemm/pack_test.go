package gemm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPackPaths packs the same operand with the Go loops and, where the CPU
// has AVX2, with the AVX2 pack routines, and requires the panels the
// definition gives (and identical ones from both), for every row count of a
// panel (full and partial), depths around multiples of 8, and strides; it
// also checks, with 0, 2 and 4 values of room past the panels (the AVX2
// transposing pack's spill: 2 for 6- and 14-wide panels; 4-wide ones have
// their own transpose, which spills nothing), that nothing is written past
// the slice's capacity.
func TestPackPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const guard = float32(-4242)
	for _, w := range []int{2, 4, 6, 8, 12, 14, 16, 24, 32, 48} { // every kernel's panel widths
		for _, nr := range []int{1, w - 1, w, w + 1, 2*w + 3, 3 * w} {
			for _, kc := range []int{1, 7, 8, 9, 16, 23, 40} {
				for _, gr := range []struct {
					gather bool
					room   int
				}{{true, 0}, {true, 2}, {true, 4}, {false, 0}} {
					gather, room := gr.gather, gr.room
					name := fmt.Sprintf("w=%d nr=%d kc=%d gather=%v room=%d", w, nr, kc, gather, room)
					ld := max(nr, kc) + 3
					x := randSlice(r, (max(nr, kc)+2)*ld)
					size := ((nr + w - 1) / w) * w * kc
					pack := func(asm bool) []float32 {
						old := packAVX2
						packAVX2 = asm && old // never switch on a pack the CPU lacks
						defer func() { packAVX2 = old }()
						buf := make([]float32, size+16)
						for i := range buf {
							buf[i] = guard
						}
						dst := buf[: size : size+room]
						if gather {
							packGather(dst, x, ld, 1, nr, 2, kc, w)
						} else {
							packCopy(dst, x, ld, 1, nr, 2, kc, w)
						}
						for i := size + room; i < len(buf); i++ {
							if buf[i] != guard {
								t.Fatalf("%s asm=%v: wrote buf[%d] past the capacity", name, asm, i)
							}
						}
						return buf[:size]
					}
					want := pack(false)
					if got := pack(true); packAVX2 && !slices.Equal(got, want) {
						t.Fatalf("%s: AVX2 pack differs from Go pack\n got %v\nwant %v", name, got, want)
					}
					// The Go pack against the definition.
					for q := 0; q*w < nr; q++ {
						for p := 0; p < kc; p++ {
							for i := 0; i < w; i++ {
								var v float32
								if row := q*w + i; row < nr {
									if gather {
										v = x[(1+row)*ld+2+p]
									} else {
										v = x[(2+p)*ld+1+row]
									}
								}
								if g := want[q*kc*w+p*w+i]; g != v {
									t.Fatalf("%s: panel %d depth %d lane %d = %v; want %v", name, q, p, i, g, v)
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestPackDepth writes single depths of a block with PackDepth, with the Go
// loops and, where the CPU has AVX2, the AVX2 copy, and requires the
// layout PackRows gives (every depth written equals PackRows' panels) and
// that nothing but each depth's slots is written.
func TestPackDepth(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	const guard = float32(-4242)
	for _, w := range []int{2, 4, 6, 8, 12, 14, 16, 24, 32, 48} {
		for _, nr := range []int{1, w - 1, w, w + 1, 2*w + 3, 3 * w} {
			for _, kc := range []int{1, 5, 9} {
				ld := nr + 2
				x := randSlice(r, kc*ld)
				size := ((nr + w - 1) / w) * w * kc
				want := make([]float32, size)
				old := packAVX2
				packAVX2 = false // the Go loops, held to the definition by TestPackPaths
				PackRows(want, x, ld, 0, nr, 0, kc, w)
				packAVX2 = old
				for _, asm := range []bool{false, true} {
					packAVX2 = asm && old
					buf := make([]float32, size+8)
					for i := range buf {
						buf[i] = guard
					}
					// Depths in a scrambled order (kc is odd, so i·4 mod kc
					// visits each once): each writes only its own slots.
					for i := range kc {
						p := (i * 4) % kc
						PackDepth(buf[:size], x[p*ld:p*ld+nr], p, kc, w)
					}
					packAVX2 = old
					for i := size; i < len(buf); i++ {
						if buf[i] != guard {
							t.Fatalf("w=%d nr=%d kc=%d asm=%v: wrote buf[%d] past the block", w, nr, kc, asm, i)
						}
					}
					if !slices.Equal(buf[:size], want) {
						t.Fatalf("w=%d nr=%d kc=%d asm=%v: PackDepth gives\n%v\nPackRows\n%v", w, nr, kc, asm, buf[:size], want)
					}
				}
			}
		}
	}
}

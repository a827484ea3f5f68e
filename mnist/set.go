package mnist

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Set is a labelled set of images held in memory as bytes.
type Set struct {
	Images []uint8 // N*Rows*Cols pixels, row-major, image after image; 0 = background, 255 = ink
	Labels []uint8 // N labels, 0..9
	N      int
	Rows   int
	Cols   int
}

// Image returns the pixels of image i (a slice of s.Images, not a copy).
func (s *Set) Image(i int) []uint8 {
	n := s.Rows * s.Cols
	return s.Images[i*n : (i+1)*n : (i+1)*n]
}

// splitStream is the PCG stream used by Split, so that a split never shares
// a random sequence with shuffling or initialisation seeded with the same seed.
const splitStream = 0x73706c6974 // "split"

// Split deals the set into a training set of N-nVal images and a validation
// set of nVal images, chosen by a permutation seeded with seed. The result
// depends only on (N, nVal, seed). Both parts keep the original order of
// their images; the loader shuffles per epoch.
func (s *Set) Split(nVal int, seed uint64) (train, val *Set, err error) {
	if nVal < 0 || nVal > s.N {
		return nil, nil, fmt.Errorf("mnist: validation size %d out of range 0..%d", nVal, s.N)
	}
	perm := Permutation(s.N, rand.New(rand.NewPCG(seed, splitStream)))
	vi := perm[:nVal]
	ti := perm[nVal:]
	slices.Sort(vi)
	slices.Sort(ti)
	return s.Subset(ti), s.Subset(vi), nil
}

// Permutation returns a random permutation of 0..n-1 by the Fisher-Yates
// shuffle. It is written out rather than taken from rand.Perm so that the
// sequence for a seed is fixed by this code, not by the Go release.
func Permutation(n int, r *rand.Rand) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	Shuffle(p, r)
	return p
}

// Shuffle permutes p in place by the Fisher-Yates shuffle.
func Shuffle(p []int, r *rand.Rand) {
	for i := len(p) - 1; i > 0; i-- {
		j := int(r.Uint64N(uint64(i + 1)))
		p[i], p[j] = p[j], p[i]
	}
}

// Subset returns a new set holding copies of the images and labels at idx,
// in that order. An index out of range is a programmer error and panics.
func (s *Set) Subset(idx []int) *Set {
	n := s.Rows * s.Cols
	out := &Set{
		Images: make([]uint8, len(idx)*n),
		Labels: make([]uint8, len(idx)),
		N:      len(idx),
		Rows:   s.Rows,
		Cols:   s.Cols,
	}
	for k, i := range idx {
		copy(out.Images[k*n:(k+1)*n], s.Images[i*n:(i+1)*n])
		out.Labels[k] = s.Labels[i]
	}
	return out
}

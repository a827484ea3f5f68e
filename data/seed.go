package data

import (
	"math/rand/v2"

	"github.com/rakam-ml/rakam/mnist"
)

// Streams keep the random sequences of the pipeline apart from each other
// and from other users of the same seed (initialisation, dropout, splits).
const (
	shuffleStream = 0x73687566666c65 // "shuffle"
	augmentStream = 0x6175676d656e74 // "augment"
)

// mix is the SplitMix64 finaliser: a bijection that spreads nearby inputs
// (epoch 1, 2, 3 ...) over the whole 64-bit range.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Order returns the order in which an epoch visits the n examples: a
// permutation that depends only on (seed, epoch), or 0..n-1 unshuffled.
func Order(n int, shuffle bool, seed uint64, epoch int) []int {
	p := make([]int, n)
	fillOrder(p, shuffle, seed, epoch)
	return p
}

func fillOrder(p []int, shuffle bool, seed uint64, epoch int) {
	for i := range p {
		p[i] = i
	}
	if shuffle {
		var pcg rand.PCG
		pcg.Seed(mix(seed^shuffleStream), mix(uint64(epoch)+shuffleStream))
		mnist.Shuffle(p, rand.New(&pcg))
	}
}

// exampleSeed seeds the generator for the augmentation of one example, from
// (seed, epoch, index) alone, so results do not depend on which worker or
// batch handles the example.
func exampleSeed(pcg *rand.PCG, seed uint64, epoch, index int) {
	pcg.Seed(mix(seed^augmentStream), mix(mix(uint64(epoch)+augmentStream)^uint64(index)))
}

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Initialisers fill a weight tensor from a seeded generator. fanIn and
// fanOut are the number of inputs and outputs each weight connects:
// (In, Out) for Dense, (InC·KH·KW, OutC·KH·KW) for Conv2D, as in Keras.

// InitHe fills w from N(0, 2/fanIn), He et al. (2015) "normal" variant,
// the usual choice before a ReLU.
func InitHe(w []float32, fanIn int, rng *rand.Rand) {
	std := math.Sqrt(2 / float64(fanIn))
	for i := range w {
		w[i] = float32(rng.NormFloat64() * std)
	}
}

// InitGlorot fills w from U(−a, a) with a = sqrt(6/(fanIn+fanOut)), Glorot
// and Bengio (2010): Keras' default "glorot_uniform".
func InitGlorot(w []float32, fanIn, fanOut int, rng *rand.Rand) {
	a := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * a)
	}
}

// InitSmall fills w from 0.01·N(0, 1), the "small random values" of study 1
// (NumPy's 0.01*np.random.randn).
func InitSmall(w []float32, rng *rand.Rand) {
	for i := range w {
		w[i] = float32(0.01 * rng.NormFloat64())
	}
}

// initWeights dispatches on an initialiser name as used in LayerSpec.Init.
func initWeights(w []float32, name string, fanIn, fanOut int, rng *rand.Rand) {
	switch name {
	case "he":
		InitHe(w, fanIn, rng)
	case "glorot":
		InitGlorot(w, fanIn, fanOut, rng)
	case "small":
		InitSmall(w, rng)
	default:
		panic(fmt.Sprintf("nn: unknown initialiser %q", name)) // Spec.Validate rejects these first
	}
}

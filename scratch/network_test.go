package scratch

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGradientsMatchFiniteDifferences checks every parameter's analytic
// gradient against a central difference of the loss on a tiny network.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	const in, hidden, out, b = 6, 5, 4, 3
	net := New(in, hidden, out, 7)
	rng := rand.New(rand.NewPCG(3, 4))
	// Larger weights than the 0.01 init so gradients are well above float32 noise.
	for _, s := range [][]float32{net.W1, net.B1, net.W2, net.B2} {
		for i := range s {
			s[i] = float32(rng.NormFloat64() * 0.5)
		}
	}
	x := make([]float32, b*in)
	for i := range x {
		x[i] = rng.Float32()
	}
	labels := []uint8{0, 3, 2}

	net.Forward(x, b)
	net.Backward(x, labels)
	grads := map[string][2][]float32{
		"W1": {net.W1, append([]float32(nil), net.dW1...)},
		"b1": {net.B1, append([]float32(nil), net.dB1...)},
		"W2": {net.W2, append([]float32(nil), net.dW2...)},
		"b2": {net.B2, append([]float32(nil), net.dB2...)},
	}
	loss := func() float64 {
		net.Forward(x, b)
		return net.Loss(labels)
	}
	const eps = 1e-2
	for name, pg := range grads {
		param, grad := pg[0], pg[1]
		for i := range param {
			orig := param[i]
			param[i] = orig + eps
			up := loss()
			param[i] = orig - eps
			down := loss()
			param[i] = orig
			num := (up - down) / (2 * eps)
			ana := float64(grad[i])
			if math.Abs(num-ana) > 2e-3+2e-2*math.Abs(ana) {
				t.Errorf("d loss/d %s[%d] = %.6f analytically; finite difference gives %.6f", name, i, ana, num)
			}
		}
	}
}

func TestStepMovesAgainstGradient(t *testing.T) {
	net := New(4, 3, 2, 1)
	x := []float32{0.1, 0.9, 0.3, 0.5, 0.7, 0.2, 0.8, 0.4}
	labels := []uint8{1, 0}
	net.Forward(x, 2)
	before := net.Loss(labels)
	for i := 0; i < 50; i++ {
		net.Forward(x, 2)
		net.Backward(x, labels)
		net.Step(0.5)
	}
	net.Forward(x, 2)
	if after := net.Loss(labels); !(after < before) {
		t.Fatalf("loss after 50 steps = %v; want below the starting %v", after, before)
	}
}

func TestNewIsSeeded(t *testing.T) {
	a, b, c := New(784, 128, 10, 1), New(784, 128, 10, 1), New(784, 128, 10, 2)
	for i := range a.W1 {
		if a.W1[i] != b.W1[i] {
			t.Fatalf("New with the same seed differs at W1[%d]", i)
		}
	}
	same := true
	for i := range a.W1 {
		if a.W1[i] != c.W1[i] {
			same = false
			break
		}
	}
	if same {
		t.Fatal("New with seeds 1 and 2 gave identical weights")
	}
	for _, v := range a.B1 {
		if v != 0 {
			t.Fatal("biases must start at zero")
		}
	}
	if got, want := a.Params(), 784*128+128+128*10+10; got != want {
		t.Fatalf("Params() = %d; want %d", got, want)
	}
}

package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rakam-ml/rakam/tensor"
)

func TestSoftmaxCrossEntropyValues(t *testing.T) {
	tests := []struct {
		name      string
		logits    []float32
		k         int
		labels    []uint8
		smoothing float32
		want      float64
	}{
		{"uniform", []float32{0, 0}, 2, []uint8{0}, 0, math.Log(2)},
		{"uniform/smoothed", []float32{0, 0}, 2, []uint8{0}, 0.1, math.Log(2)},
		{"huge right", []float32{1000, 0}, 2, []uint8{0}, 0, 0},
		{"huge wrong", []float32{1000, 0}, 2, []uint8{1}, 0, 1000},
		{"huge negative", []float32{-1000, -1001, -1002}, 3, []uint8{2}, 0, 2 + math.Log(1+math.Exp(-1)+math.Exp(-2))},
		// t = (0.9+0.1/3, 0.1/3, 0.1/3); loss = −Σ t log p with p = softmax(1,2,3).
		{"smoothed", []float32{1, 2, 3}, 3, []uint8{0}, 0.1, smoothedCE([]float64{1, 2, 3}, 0, 0.1)},
		{"mean of two", []float32{0, 0, 1000, 0}, 2, []uint8{1, 0}, 0, math.Log(2) / 2},
		// An outlier's target is uniform: loss = −(1/3) Σ log softmax(1,2,3)_j.
		{"outlier", []float32{1, 2, 3}, 3, []uint8{NoClass}, 0, (smoothedCE([]float64{1, 2, 3}, 0, 1))},
		{"outlier/smoothing ignored", []float32{1, 2, 3}, 3, []uint8{NoClass}, 0.1, (smoothedCE([]float64{1, 2, 3}, 0, 1))},
		{"outlier at uniform", []float32{5, 5}, 2, []uint8{NoClass}, 0, math.Log(2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := SoftmaxCrossEntropy{Smoothing: tc.smoothing}
			n := len(tc.logits) / tc.k
			got, g, err := l.Forward(tensor.FromSlice(tc.logits, n, tc.k), tc.labels)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-6*math.Max(1, math.Abs(tc.want)) {
				t.Errorf("loss(%v, %v) = %.9g; want %.9g", tc.logits, tc.labels, got, tc.want)
			}
			for _, v := range g.Data {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Errorf("dlogits = %v; want finite", g.Data)
				}
			}
			// Each row of the gradient sums to zero (Σp − Σt = 0).
			for i := 0; i < n; i++ {
				var s float64
				for _, v := range g.Data[i*tc.k : (i+1)*tc.k] {
					s += float64(v)
				}
				if math.Abs(s) > 1e-6 {
					t.Errorf("row %d of dlogits sums to %g; want 0", i, s)
				}
			}
		})
	}
}

func smoothedCE(z []float64, label int, eps float64) float64 {
	var sum, mx float64 = 0, math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	for _, v := range z {
		sum += math.Exp(v - mx)
	}
	var loss float64
	for j, v := range z {
		t := eps / float64(len(z))
		if j == label {
			t += 1 - eps
		}
		loss -= t * (v - mx - math.Log(sum))
	}
	return loss
}

func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	for _, smoothing := range []float32{0, 0.1} {
		rng := rand.New(rand.NewPCG(5, 6))
		z := randTensor(rng, 4, 5)
		labels := []uint8{0, 4, NoClass, 2}
		l := SoftmaxCrossEntropy{Smoothing: smoothing}
		_, g, err := l.Forward(z, labels)
		if err != nil {
			t.Fatal(err)
		}
		analytic := f64(g.Data)
		num := make([]float64, len(z.Data))
		const h = 1e-3
		for i := range z.Data {
			old := z.Data[i]
			z.Data[i] = old + h
			lp, _, _ := l.Forward(z, labels)
			z.Data[i] = old - h
			lm, _, _ := l.Forward(z, labels)
			z.Data[i] = old
			num[i] = (lp - lm) / (2 * h)
		}
		if e := relErr(analytic, num); e > 1e-3 {
			t.Errorf("smoothing %g: dlogits relative error %.3g\nanalytic %v\nnumeric  %v", smoothing, e, head(analytic), head(num))
		}
	}
}

func TestSoftmaxCrossEntropyErrors(t *testing.T) {
	var l SoftmaxCrossEntropy
	if _, _, err := l.Forward(tensor.New(2, 3), []uint8{0}); err == nil {
		t.Error("Forward with 1 label for 2 rows: no error")
	}
	if _, _, err := l.Forward(tensor.New(1, 3), []uint8{3}); err == nil {
		t.Error("Forward with label 3 for 3 classes: no error")
	}
	if _, _, err := l.Forward(tensor.New(1, 3), []uint8{NoClass - 1}); err == nil {
		t.Error("Forward with label 254 for 3 classes: no error")
	}
	if _, _, err := l.Forward(tensor.New(6), []uint8{0}); err == nil {
		t.Error("Forward with 1-D logits: no error")
	}
}

func TestSoftmax(t *testing.T) {
	p := Softmax(nil, tensor.FromSlice([]float32{0, 0, 1000, 0}, 2, 2))
	want := []float32{0.5, 0.5, 1, 0}
	for i := range want {
		if math.Abs(float64(p.Data[i]-want[i])) > 1e-7 {
			t.Fatalf("Softmax = %v; want %v", p.Data, want)
		}
	}
}

package tensor

import (
	"fmt"
	"math"

	"github.com/rakam-ml/rakam/tensor/internal/vec"
)

// AddBiasReLU sets x[i][j] = max(x[i][j] + bias[j], 0) over the m×n matrix
// x (row stride ldx) in one pass: AddRowVector followed by ReLU without a
// second sweep over memory. Like ReLU, a negative sum (or −0) becomes +0
// and a positive NaN goes through.
func AddBiasReLU(m, n int, x []float32, ldx int, bias []float32) {
	if len(bias) < n {
		panic(fmt.Sprintf("tensor: AddBiasReLU: bias has %d values, need %d", len(bias), n))
	}
	if m > 0 && n > 0 && len(x) < (m-1)*ldx+n {
		panic(fmt.Sprintf("tensor: AddBiasReLU: x has %d values, need %d", len(x), (m-1)*ldx+n))
	}
	for i := 0; i < m; i++ {
		vec.AddReLU(x[i*ldx:i*ldx+n], bias[:n])
	}
}

// SoftmaxCrossEntropy is the output layer of a classifier in one pass. For
// the m×n logits z (contiguous rows) and labels, it returns the mean over
// rows of −log softmax(z_i)[label_i], computed as logsumexp(z_i) − z_i[label_i]
// in float64 (no clamping is needed, unlike CrossEntropy on probabilities),
// and writes the gradient of that mean with respect to the logits:
//
//	dz[i][j] = (softmax(z_i)[j] − [j == label_i]) / m
//
// dz may be the same slice as z. It panics on a label ≥ n.
func SoftmaxCrossEntropy(m, n int, dz, z []float32, labels []uint8) float64 {
	if len(labels) < m || len(z) < m*n || len(dz) < m*n {
		panic(fmt.Sprintf("tensor: SoftmaxCrossEntropy: %d rows of %d need %d labels and %d values, have %d, z=%d, dz=%d", m, n, m, m*n, len(labels), len(z), len(dz)))
	}
	if m == 0 {
		return 0
	}
	inv := 1 / float32(m)
	var loss float64
	for i := 0; i < m; i++ {
		zr := z[i*n : i*n+n]
		dr := dz[i*n : i*n+n]
		l := int(labels[i])
		if l >= n {
			panic(fmt.Sprintf("tensor: SoftmaxCrossEntropy: label %d out of range for %d classes", l, n))
		}
		mx := float32(math.Inf(-1))
		for _, v := range zr {
			if v > mx {
				mx = v
			}
		}
		zl := zr[l]
		var sum float64
		for j, v := range zr {
			e := math.Exp(float64(v - mx))
			dr[j] = float32(e)
			sum += e
		}
		loss += math.Log(sum) + float64(mx) - float64(zl)
		scale := float32(1/sum) * inv
		for j := range dr {
			dr[j] *= scale
		}
		dr[l] -= inv
	}
	return loss / float64(m)
}

// AdamStep applies one Adam update to the parameters p from their gradient
// g, updating the first and second moments m and v, elementwise:
//
//	g' = g + l2·p;  m += (g' − m)·c1;  v += (g'·g' − v)·c2
//	p −= alpha·m / (sqrt(v) + eps)
//
// with c1 = 1−β1, c2 = 1−β2 and alpha the bias-corrected step size. Every
// operation is rounded separately (no fused multiply-add), so the AVX2
// kernel and the portable loop give the same bits. All four slices must
// have the same length.
func AdamStep(p, g, m, v []float32, l2, c1, c2, alpha, eps float32) {
	if len(g) != len(p) || len(m) != len(p) || len(v) != len(p) {
		panic(fmt.Sprintf("tensor: AdamStep: lengths %d, %d, %d, %d differ", len(p), len(g), len(m), len(v)))
	}
	vec.Adam(p, g, m, v, l2, c1, c2, alpha, eps)
}

// BatchNormNormalize is batch normalisation's elementwise forward pass over
// one run of values of a channel: h = (x[i]−mean)·k, xh[i] = h and
// y[i] = gamma·h + shift, each operation rounded separately (the same bits
// on every path). xh and y must be as long as x.
func BatchNormNormalize(x, xh, y []float32, mean, k, gamma, shift float32) {
	if len(xh) != len(x) || len(y) != len(x) {
		panic(fmt.Sprintf("tensor: BatchNormNormalize: lengths %d, %d, %d differ", len(x), len(xh), len(y)))
	}
	vec.BatchNormNormalize(x, xh, y, mean, k, gamma, shift)
}

// BatchNormNormalizeY is BatchNormNormalize without xh (a layer that
// rebuilds x̂ when it needs it): the same y. y must be as long as x.
func BatchNormNormalizeY(x, y []float32, mean, k, gamma, shift float32) {
	if len(y) != len(x) {
		panic(fmt.Sprintf("tensor: BatchNormNormalizeY: lengths %d, %d differ", len(x), len(y)))
	}
	vec.BatchNormNormalizeY(x, y, mean, k, gamma, shift)
}

// BatchNormBackward is batch normalisation's input gradient over one run of
// a channel: dx[i] = k·((dy[i]−mdb) − xh[i]·mdg), rounded step by step.
// dy and xh must be as long as dx.
func BatchNormBackward(dx, dy, xh []float32, k, mdb, mdg float32) {
	if len(dy) != len(dx) || len(xh) != len(dx) {
		panic(fmt.Sprintf("tensor: BatchNormBackward: lengths %d, %d, %d differ", len(dx), len(dy), len(xh)))
	}
	vec.BatchNormBackward(dx, dy, xh, k, mdb, mdg)
}

// BatchNormBackwardNorm is BatchNormBackward with xh[i] = (x[i]−mean)·is
// rebuilt from the layer's input as BatchNormNormalize computes it (mean
// and is its mean and k): the same bits, without a stored xh. dy and x must
// be as long as dx; x may be dx.
func BatchNormBackwardNorm(dx, dy, x []float32, k, mdb, mdg, mean, is float32) {
	if len(dy) != len(dx) || len(x) != len(dx) {
		panic(fmt.Sprintf("tensor: BatchNormBackwardNorm: lengths %d, %d, %d differ", len(dx), len(dy), len(x)))
	}
	vec.BatchNormBackwardNorm(dx, dy, x, k, mdb, mdg, mean, is)
}

// DotSumNorm is DotSum(g, h) with h[i] = (x[i]−mean)·k rebuilt as
// BatchNormNormalize computes it: the same bits. x must be at least as
// long as g.
func DotSumNorm(g, x []float32, mean, k float32) (dot, sum float32) {
	if len(x) < len(g) {
		panic(fmt.Sprintf("tensor: DotSumNorm: len(x)=%d < len(g)=%d", len(x), len(g)))
	}
	return vec.DotSumNorm(g, x, mean, k)
}

// SumLanes returns Σ v[i] in float32, SquaredDeviation Σ (v[i]−mu)², and
// DotSum Σ g[i]·h[i] together with Σ g[i]. Each keeps eight partial sums
// (partial l takes elements l, l+8, ... of the longest multiple-of-8
// prefix), folds them as ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)) and adds the
// remaining elements in order: a fixed order, so the same bits on every
// path and every run, and a rounding error that grows more slowly than a
// single running sum's.
func SumLanes(v []float32) float32 { return vec.Sum(v) }

// AddConstSumLanes adds c to each v[i] in place and returns SumLanes of
// the results: the bits of AddConst(v, v, c) then SumLanes(v), in one pass
// (a convolution's bias and its batch norm's plane sum).
func AddConstSumLanes(v []float32, c float32) float32 { return vec.AddConstSum(v, c) }

// SquaredDeviation returns Σ (v[i]−mu)² in the order SumLanes describes.
func SquaredDeviation(v []float32, mu float32) float32 { return vec.SquaredDeviation(v, mu) }

// DotSum returns Σ g[i]·h[i] and Σ g[i] in the order SumLanes describes. h
// must be at least as long as g.
func DotSum(g, h []float32) (dot, sum float32) {
	if len(h) < len(g) {
		panic(fmt.Sprintf("tensor: DotSum: len(h)=%d < len(g)=%d", len(h), len(g)))
	}
	return vec.DotSum(g, h)
}

// SGDStep applies one plain gradient-descent update with an L2 term:
// p −= lr·(g + wd·p), each operation rounded separately (the same bits on
// every path). g must be as long as p.
func SGDStep(p, g []float32, lr, wd float32) {
	if len(g) != len(p) {
		panic(fmt.Sprintf("tensor: SGDStep: len(p)=%d != len(g)=%d", len(p), len(g)))
	}
	vec.SGD(p, g, lr, wd)
}

package vec

import "math"

// The portable kernels: always compiled, the only ones under purego or off
// amd64, and the references the assembly is tested against.

func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func scaleGo(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// reluGo and addReLUGo clear negative values (−0 included) to +0 by their
// sign bit, without branches (on real activations a branch per value is
// mispredicted about half the time); a positive NaN goes through.
func reluGo(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		b := math.Float32bits(v)
		y[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

func addReLUGo(x, b []float32) {
	b = b[:len(x)]
	for i, v := range x {
		u := math.Float32bits(v + b[i])
		x[i] = math.Float32frombits(u &^ uint32(int32(u)>>31))
	}
}

func reluBackwardGo(dx, dy, y []float32) {
	dx = dx[:len(y)]
	dy = dy[:len(y)]
	for i, v := range y {
		if v > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// adamGo is one Adam step in the order adamAVX2 computes it.
func adamGo(p, g, m, v []float32, l2, c1, c2, alpha, eps float32) {
	g = g[:len(p)]
	m = m[:len(p)]
	v = v[:len(p)]
	for j := range p {
		gj := g[j] + l2*p[j]
		m[j] += (gj - m[j]) * c1
		v[j] += (gj*gj - v[j]) * c2
		p[j] -= alpha * m[j] / (float32(math.Sqrt(float64(v[j]))) + eps)
	}
}

func bytesToFloatGo(dst []float32, src []uint8, div float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(v) / div
	}
}

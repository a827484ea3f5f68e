package vec

import "math"

// The portable kernels: always compiled, the only ones under purego or off
// amd64, and the references the assembly is tested against.
//
// Every product that is then added or subtracted is written float32(x*y):
// the Go compiler may fuse x*y + z into one multiply-add (it does on arm64,
// and on amd64 with GOAMD64=v3), and an explicit conversion rounds the
// product and forbids that, so these loops give the same bits on every
// architecture and build setting.

func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float32(alpha * v)
	}
}

// mulAddGo is axpyGo: the product is rounded before the add. It is the
// reference mulAddAVX2 gives the bits of.
func mulAddGo(alpha float32, x, y []float32) { axpyGo(alpha, x, y) }

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
		gj := g[j] + float32(l2*p[j])
		m[j] += float32((gj - m[j]) * c1)
		v[j] += float32((float32(gj*gj) - v[j]) * c2)
		p[j] -= alpha * m[j] / (float32(math.Sqrt(float64(v[j]))) + eps)
	}
}

func bytesToFloatGo(dst []float32, src []uint8, div float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(v) / div
	}
}

func bnNormalizeGo(x, xh, y []float32, mean, k, g, b float32) {
	xh = xh[:len(x)]
	y = y[:len(x)]
	for i, v := range x {
		h := (v - mean) * k
		xh[i] = h
		y[i] = float32(g*h) + b
	}
}

// bnNormalizeYGo is bnNormalizeGo without xh.
func bnNormalizeYGo(x, y []float32, mean, k, g, b float32) {
	y = y[:len(x)]
	for i, v := range x {
		h := float32((v - mean) * k)
		y[i] = float32(g*h) + b
	}
}

func bnBackwardGo(dx, dy, xh []float32, k, mdb, mdg float32) {
	dy = dy[:len(dx)]
	xh = xh[:len(dx)]
	for i := range dx {
		dx[i] = k * ((dy[i] - mdb) - float32(xh[i]*mdg))
	}
}

// fold8 adds eight lane sums in the order the AVX2 kernels fold a register.
func fold8(s *[8]float32) float32 {
	return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
}

func sumGo(v []float32) float32 {
	var s [8]float32
	i := 0
	for ; i+8 <= len(v); i += 8 {
		w := v[i : i+8 : i+8]
		s[0] += w[0]
		s[1] += w[1]
		s[2] += w[2]
		s[3] += w[3]
		s[4] += w[4]
		s[5] += w[5]
		s[6] += w[6]
		s[7] += w[7]
	}
	r := fold8(&s)
	for ; i < len(v); i++ {
		r += v[i]
	}
	return r
}

// addsumGo adds c to each v[i] and returns sumGo of the results.
func addsumGo(v []float32, c float32) float32 {
	var s [8]float32
	i := 0
	for ; i+8 <= len(v); i += 8 {
		w := v[i : i+8 : i+8]
		for l := range s {
			w[l] += c
			s[l] += w[l]
		}
	}
	r := fold8(&s)
	for ; i < len(v); i++ {
		v[i] += c
		r += v[i]
	}
	return r
}

func sqdevGo(v []float32, mu float32) float32 {
	var s [8]float32
	i := 0
	for ; i+8 <= len(v); i += 8 {
		w := v[i : i+8 : i+8]
		for l := range s {
			d := w[l] - mu
			s[l] += float32(d * d)
		}
	}
	r := fold8(&s)
	for ; i < len(v); i++ {
		d := v[i] - mu
		r += float32(d * d)
	}
	return r
}

func dotsumGo(g, h []float32) (dot, sum float32) {
	h = h[:len(g)]
	var d, s [8]float32
	i := 0
	for ; i+8 <= len(g); i += 8 {
		gw, hw := g[i:i+8:i+8], h[i:i+8:i+8]
		for l := range s {
			s[l] += gw[l]
			d[l] += float32(gw[l] * hw[l])
		}
	}
	dot, sum = fold8(&d), fold8(&s)
	for ; i < len(g); i++ {
		sum += g[i]
		dot += float32(g[i] * h[i])
	}
	return dot, sum
}

// dotsumnGo is dotsumGo with h[i] = (x[i]−mean)·k, rounded as
// bnNormalizeGo rounds it.
func dotsumnGo(g, x []float32, mean, k float32) (dot, sum float32) {
	x = x[:len(g)]
	var d, s [8]float32
	i := 0
	for ; i+8 <= len(g); i += 8 {
		gw, xw := g[i:i+8:i+8], x[i:i+8:i+8]
		for l := range s {
			h := float32((xw[l] - mean) * k)
			s[l] += gw[l]
			d[l] += float32(gw[l] * h)
		}
	}
	dot, sum = fold8(&d), fold8(&s)
	for ; i < len(g); i++ {
		h := float32((x[i] - mean) * k)
		sum += g[i]
		dot += float32(g[i] * h)
	}
	return dot, sum
}

// bnBackwardNGo is bnBackwardGo with xh[i] = (x[i]−mean)·is; dx may be x.
func bnBackwardNGo(dx, dy, x []float32, k, mdb, mdg, mean, is float32) {
	dy = dy[:len(dx)]
	x = x[:len(dx)]
	for i := range dx {
		h := float32((x[i] - mean) * is)
		dx[i] = k * ((dy[i] - mdb) - float32(h*mdg))
	}
}

func addConstGo(dst, src []float32, c float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = v + c
	}
}

// maxPool2x2Go pools windows j < len(out): columns 2j and 2j+1 of rows r0
// and r1, with the semantics of maxPool2x2AVX2 (ordered compares: ties and
// NaN keep the earlier position; indices are base + column, + w in r1).
func maxPool2x2Go(out []float32, arg []int32, r0, r1 []float32, base, w int32) {
	arg = arg[:len(out)]
	r0 = r0[:2*len(out)]
	r1 = r1[:2*len(out)]
	for j := range out {
		c := 2 * j
		v0, v1, v2, v3 := r0[c], r0[c+1], r1[c], r1[c+1]
		top, ti := v0, base+int32(c)
		if v1 > v0 {
			top, ti = v1, ti+1
		}
		bot, bi := v2, base+w+int32(c)
		if v3 > v2 {
			bot, bi = v3, bi+1
		}
		if bot > top {
			top, ti = bot, bi
		}
		out[j], arg[j] = top, ti
	}
}

func sgdGo(p, g []float32, lr, wd float32) {
	g = g[:len(p)]
	for i := range p {
		d := g[i] + float32(wd*p[i])
		p[i] -= float32(lr * d)
	}
}

func maxUnpool2x2RowsGo(dx, g []float32, arg []int32, y []float32, rows, ow, w int) {
	for oy := 0; oy < rows; oy++ {
		clear(dx[2*oy*w : 2*oy*w+2*ow])
		clear(dx[(2*oy+1)*w : (2*oy+1)*w+2*ow])
		for j := oy * ow; j < (oy+1)*ow; j++ {
			v := g[j]
			if y != nil && !(y[j] > 0) {
				v = 0
			}
			dx[arg[j]] += v
		}
	}
}

// rowSumsGo adds columns [from, n) of each row to out[r], left to right,
// four rows side by side (four independent chains).
func rowSumsGo(out, y []float32, ld, from, n int) {
	r := 0
	for ; r+4 <= len(out); r += 4 {
		r0, r1 := y[r*ld+from:r*ld+n], y[(r+1)*ld+from:(r+1)*ld+n]
		r2, r3 := y[(r+2)*ld+from:(r+2)*ld+n], y[(r+3)*ld+from:(r+3)*ld+n]
		s0, s1, s2, s3 := out[r], out[r+1], out[r+2], out[r+3]
		for i, v := range r0 {
			s0 += v
			s1 += r1[i]
			s2 += r2[i]
			s3 += r3[i]
		}
		out[r], out[r+1], out[r+2], out[r+3] = s0, s1, s2, s3
	}
	for ; r < len(out); r++ {
		s := out[r]
		for _, v := range y[r*ld+from : r*ld+n] {
			s += v
		}
		out[r] = s
	}
}

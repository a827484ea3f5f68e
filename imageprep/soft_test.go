package imageprep

import (
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBoxBlur checks boxBlur against the window means it stands for
// (zeros outside), along a row and down a strided column.
func TestBoxBlur(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 5, 17, 64} {
		for _, r := range []int{0, 1, 2, 3, 7, 40} {
			for _, stride := range []int{1, 3} {
				v := make([]float32, n*stride)
				for i := range v {
					v[i] = rng.Float32()
				}
				want := make([]float32, n)
				for i := range n {
					if r == 0 {
						want[i] = v[i*stride]
						continue
					}
					var s float64
					for j := max(0, i-r); j <= min(n-1, i+r); j++ {
						s += float64(v[j*stride])
					}
					want[i] = float32(s / float64(2*r+1))
				}
				boxBlur(v, stride, n, r, make([]float32, n))
				for i := range n {
					if d := math.Abs(float64(v[i*stride] - want[i])); d > 1e-5 {
						t.Fatalf("boxBlur(n %d, r %d, stride %d)[%d] = %v; want %v", n, r, stride, i, v[i*stride], want[i])
					}
				}
			}
		}
	}
}

// TestUnsharpGaussian: unsharp's blur of a single point has unit mass
// and the variance of the Gaussian it stands for, within 10 %; it leaves
// a flat plane's interior as it is.
func TestUnsharpGaussian(t *testing.T) {
	const n = 161
	for _, sigma := range []float64{0.7, 1.2, 2.5, 6, 15} {
		pl := plane{w: n, h: n, p: make([]float32, n*n)}
		pl.p[80*n+80] = 1
		// unsharp with amount -1 returns the blur itself.
		b := unsharp(pl, -1, sigma)
		var mass, vx float64
		for y := range n {
			for x := range n {
				v := float64(b.p[y*n+x])
				mass += v
				vx += v * float64((x-80)*(x-80))
			}
		}
		if math.Abs(mass-1) > 1e-4 || math.Abs(vx/mass/(sigma*sigma)-1) > 0.1 {
			t.Errorf("blur of sigma %v: mass %.5f, variance %.3f; want 1 and %.3f (within 10 %%)", sigma, mass, vx/mass, sigma*sigma)
		}
		flat := plane{w: n, h: n, p: make([]float32, n*n)}
		for i := range flat.p {
			flat.p[i] = 0.7
		}
		u := unsharp(flat, usmAmount, sigma)
		if v := u.p[80*n+80]; math.Abs(float64(v)-0.7) > 1e-4 {
			t.Errorf("unsharp of a flat plane (sigma %v): centre %v; want 0.7", sigma, v)
		}
	}
}

// TestUnsharpOpensLoop: a ring enlarged from a few pixels with smoothing
// has a hole whose grey the ramp alone reads as part ink; unsharp
// masking it, as sharpen does, makes the hole paper and keeps the ring
// ink.
func TestUnsharpOpensLoop(t *testing.T) {
	const n = 24
	pl := plane{w: n, h: n, p: make([]float32, n*n)}
	for y := range n {
		for x := range n {
			r := math.Hypot(float64(x)-11.5, float64(y)-11.5)
			pl.p[y*n+x] = float32(math.Exp(-(r - 3) * (r - 3) / (2 * 1.6 * 1.6)))
		}
	}
	ramp := func(v float32) float32 { return min(max((v-sharpMid)/sharpRamp+0.5, 0), 1) }
	hole, ring := 11*n+11, 11*n+14
	if v := ramp(pl.p[hole]); v == 0 {
		t.Fatalf("the test's hole reads %v through the ramp alone; want some ink", v)
	}
	u := unsharp(pl, usmAmount, usmSigma*n/Box)
	if h, r := ramp(u.p[hole]), ramp(u.p[ring]); h != 0 || r != 1 {
		t.Errorf("unsharp ring through the ramp: hole %v, ring %v; want 0 and 1", h, r)
	}
}

// TestSharpenGentleOnSoftest: soft ink goes through the steep ramp
// (sharpRamp) after the mask, the very softest (edges over gentleEdge)
// through the gentle one (gentleRamp), and sharpen's output is that
// ramp's image cropped to its ink.
func TestSharpenGentleOnSoftest(t *testing.T) {
	const n = 40
	for _, c := range []struct {
		sigma float64 // of the ring's profile, in crop pixels
		ramp  float32
	}{{2.4, sharpRamp}, {4, gentleRamp}} {
		pl := plane{w: n, h: n, p: make([]float32, n*n)}
		for y := range n {
			for x := range n {
				r := math.Hypot(float64(x)-19.5, float64(y)-19.5)
				pl.p[y*n+x] = float32(math.Exp(-(r - 9) * (r - 9) / (2 * c.sigma * c.sigma)))
			}
		}
		e := edgeWidth(pl)
		if e <= usmEdge || (e > gentleEdge) != (c.ramp == gentleRamp) {
			t.Fatalf("ring of sigma %v: edges %.2f px; the test wants them over %v and on the %v side of %v", c.sigma, e, usmEdge, c.ramp == gentleRamp, gentleEdge)
		}
		u := unsharp(pl, usmAmount, usmSigma*n/Box)
		want := plane{w: n, h: n, p: make([]float32, n*n)}
		x0, y0, x1, y1 := n, n, -1, -1
		for y := range n {
			for x := range n {
				v := min(max((u.p[y*n+x]-sharpMid)/c.ramp+0.5, 0), 1)
				want.p[y*n+x] = v
				if v > 0 {
					x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
				}
			}
		}
		want = cropPlane(want, image.Rect(x0, y0, x1+1, y1+1))
		got, ok := sharpen(pl)
		if !ok || got.w != want.w || got.h != want.h || !slices.Equal(got.p, want.p) {
			t.Errorf("sharpen(ring of sigma %v, edges %.2f px): %dx%d (sharpened %v); want the ramp of %v cropped, %dx%d", c.sigma, e, got.w, got.h, ok, c.ramp, want.w, want.h)
		}
	}
}

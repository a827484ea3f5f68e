package data

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rakam-ml/rakam/internal/gauss"
)

// Augment configures random distortions of training images. Each example
// draws, in this order: a rotation uniform in ±MaxRotate degrees, a scale
// uniform in [MinScale, MaxScale], a shift uniform in ±MaxShift pixels on
// each axis, and, if ElasticAlpha > 0, an elastic distortion after Simard,
// Steinkraus and Platt (ICDAR 2003): a field of uniform(-1, 1) displacements
// smoothed by a Gaussian of ElasticSigma pixels and scaled by ElasticAlpha.
// The image is resampled bilinearly about its centre; pixels from outside
// the source are background. A zero field turns its distortion off.
type Augment struct {
	MaxShift     float64 // pixels, per axis
	MaxRotate    float64 // degrees, 0..180
	MinScale     float64 // both 0 means no scaling
	MaxScale     float64
	ElasticAlpha float64 // displacement scale in pixels; 0 turns elastic distortion off
	ElasticSigma float64 // smoothing in pixels; required when ElasticAlpha > 0
	// Degrade, when set, makes the distorted digit look like users' input
	// (see Degrade); it draws after the distortions above. Left out of the
	// JSON when nil, so recipes without it keep their JSON.
	Degrade *Degrade `json:",omitempty"`
}

// DefaultAugment returns the affine distortions commonly used on MNIST:
// shifts of up to 2 pixels, rotations of up to 10 degrees and scaling by
// 0.9 to 1.1. Elastic distortion is off; Simard et al. used alpha 34,
// sigma 4 on 28x28 images.
func DefaultAugment() *Augment {
	return &Augment{MaxShift: 2, MaxRotate: 10, MinScale: 0.9, MaxScale: 1.1}
}

// Validate reports the first out-of-range field.
func (a *Augment) Validate() error {
	bad := func(name string, v float64, want string) error {
		return fmt.Errorf("data: augment %s = %v; want %s", name, v, want)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(a.MaxShift) || a.MaxShift < 0 || a.MaxShift > 64:
		return bad("MaxShift", a.MaxShift, "0..64 pixels")
	case !finite(a.MaxRotate) || a.MaxRotate < 0 || a.MaxRotate > 180:
		return bad("MaxRotate", a.MaxRotate, "0..180 degrees")
	case !finite(a.MinScale) || !finite(a.MaxScale):
		return bad("MinScale/MaxScale", a.MinScale, "finite values")
	case !(a.MinScale == 0 && a.MaxScale == 0) && (a.MinScale <= 0 || a.MaxScale < a.MinScale || a.MaxScale > 16):
		return fmt.Errorf("data: augment scale range [%v, %v]; want 0 < MinScale <= MaxScale <= 16 (or both 0 for none)", a.MinScale, a.MaxScale)
	case !finite(a.ElasticAlpha) || a.ElasticAlpha < 0 || a.ElasticAlpha > 1000:
		return bad("ElasticAlpha", a.ElasticAlpha, "0..1000")
	case a.ElasticAlpha > 0 && (!finite(a.ElasticSigma) || a.ElasticSigma <= 0 || a.ElasticSigma > 32):
		return bad("ElasticSigma", a.ElasticSigma, "0 < sigma <= 32 pixels when ElasticAlpha > 0")
	}
	if a.Degrade != nil {
		return a.Degrade.Validate()
	}
	return nil
}

// warp is one draw of the affine part.
type warp struct {
	rotate         float64 // radians
	scale          float64
	shiftX, shiftY float64 // pixels; positive moves ink right and down
}

// inverse returns A⁻¹ = R(-θ)/s = [cos sin; -sin cos]/s, row by row, for
// A = scale·R(rotate).
func (w warp) inverse() (a00, a01, a10, a11 float64) {
	cos, sin := math.Cos(w.rotate), math.Sin(w.rotate)
	inv := 1 / w.scale
	return cos * inv, sin * inv, -sin * inv, cos * inv
}

// Augmenter applies an Augment to images of one size. It owns its scratch
// buffers, so it must not be used by two goroutines at once; Apply does not
// allocate.
type Augmenter struct {
	a          Augment
	rows, cols int
	kernel     []float64 // normalised Gaussian, radius len/2
	fx, fy     []float64 // displacement fields
	tmp        []float64
	pad        []uint8 // the source framed by background (resampleAffine)
	pcg        *rand.PCG
	r          *rand.Rand
	deg        *degrader // nil without Degrade
}

// NewAugmenter checks a and prepares buffers for rows x cols images.
func NewAugmenter(a Augment, rows, cols int) (*Augmenter, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("data: augmenter image size %dx%d; want positive", rows, cols)
	}
	g := &Augmenter{a: a, rows: rows, cols: cols, pcg: rand.NewPCG(0, 0), pad: make([]uint8, (rows+2)*(cols+2))}
	g.r = rand.New(g.pcg)
	if a.Degrade != nil {
		g.a.Degrade = new(Degrade)
		*g.a.Degrade = *a.Degrade // the caller may change theirs afterwards
		g.deg = newDegrader(*a.Degrade, rows, cols)
	}
	if a.ElasticAlpha > 0 {
		g.kernel = gauss.Kernel(a.ElasticSigma)
		n := rows * cols
		g.fx, g.fy, g.tmp = make([]float64, n), make([]float64, n), make([]float64, n)
	}
	return g, nil
}

// Apply writes to dst (rows*cols values in [0, 1]) a distorted copy of the
// image src, with the randomness of example index in epoch under seed: the
// same (seed, epoch, index) gives the same image on any goroutine.
func (g *Augmenter) Apply(dst []float32, src []uint8, seed uint64, epoch, index int) {
	exampleSeed(g.pcg, seed, epoch, index)
	g.applyRand(dst, src)
}

func (g *Augmenter) applyRand(dst []float32, src []uint8) {
	a, r := &g.a, g.r
	w := warp{scale: 1}
	w.rotate = (2*r.Float64() - 1) * a.MaxRotate * math.Pi / 180
	if a.MaxScale > 0 {
		w.scale = a.MinScale + float64(r.Float64()*(a.MaxScale-a.MinScale))
	}
	w.shiftX = (2*r.Float64() - 1) * a.MaxShift
	w.shiftY = (2*r.Float64() - 1) * a.MaxShift
	var fx, fy []float64
	if a.ElasticAlpha > 0 {
		g.elasticField(g.fx)
		g.elasticField(g.fy)
		fx, fy = g.fx, g.fy
	}
	resample(dst, src, g.pad, g.rows, g.cols, w, fx, fy)
	if g.deg != nil {
		g.deg.apply(dst[:g.rows*g.cols], r.Float64)
	}
}

// elasticField fills f with uniform(-1, 1) noise smoothed by the Gaussian
// (smoothSeparable) and scaled by alpha.
func (g *Augmenter) elasticField(f []float64) {
	for i := range f {
		f[i] = 2*g.r.Float64() - 1
	}
	smoothSeparable(f, g.tmp, g.rows, g.cols, g.kernel)
	alpha := g.a.ElasticAlpha
	for i := range f {
		f[i] *= alpha
	}
}

// smoothSeparable convolves the rows x cols image f with the kernel k
// along x, then along y, zeros outside, in place (tmp is scratch of f's
// size). Both passes are written as sums of shifted rows, whose iterations
// are independent, rather than as dot products, whose additions form one
// long chain; each output sums the kernel's taps in order.
func smoothSeparable(f, tmp []float64, rows, cols int, k []float64) {
	rad := len(k) / 2
	// Along x: tmp[y][x] = Σ_j k[j] f[y][x+j-rad].
	clear(tmp)
	for y := 0; y < rows; y++ {
		in := f[y*cols : (y+1)*cols]
		out := tmp[y*cols : (y+1)*cols]
		for j, w := range k {
			d := j - rad // out[x] += w * in[x+d] for 0 <= x, x+d < cols
			lo, hi := max(0, -d), min(cols, cols-d)
			if lo >= hi {
				continue
			}
			o, i := out[lo:hi], in[lo+d:hi+d]
			for x := range o {
				o[x] += float64(w * i[x])
			}
		}
	}
	// Along y: f[y] = Σ_j k[j] tmp[y+j-rad].
	for y := 0; y < rows; y++ {
		out := f[y*cols : (y+1)*cols]
		clear(out)
		lo, hi := max(y-rad, 0), min(y+rad, rows-1)
		for yy := lo; yy <= hi; yy++ {
			w := k[yy-y+rad]
			in := tmp[yy*cols : (yy+1)*cols]
			for x := range out {
				out[x] += float64(w * in[x])
			}
		}
	}
}

// resample computes dst(p) = src(c + A⁻¹(p + d(p) - c - t)) with A = scale·R(rotate),
// c the image centre, t the shift and d the optional displacement field,
// sampling src bilinearly with background outside. Values are clamped to
// [0, 1] so rounding cannot leave the pixel range.
func resample(dst []float32, src, pad []uint8, rows, cols int, w warp, fx, fy []float64) {
	if fx == nil {
		resampleAffine(dst, src, pad, rows, cols, w)
		return
	}
	resampleField(dst, src, rows, cols, w, fx, fy)
}

// resampleField is resample, one bilinear call per pixel: the reference
// resampleAffine is held to, and the path of a displacement field.
func resampleField(dst []float32, src []uint8, rows, cols int, w warp, fx, fy []float64) {
	cx, cy := float64(cols-1)/2, float64(rows-1)/2
	a00, a01, a10, a11 := w.inverse()
	dst = dst[:rows*cols]
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			i := y*cols + x
			px, py := float64(x)-cx-w.shiftX, float64(y)-cy-w.shiftY
			if fx != nil {
				px += fx[i]
				py += fy[i]
			}
			qx := float64(a00*px) + float64(a01*py) + cx
			qy := float64(a10*px) + float64(a11*py) + cy
			dst[i] = bilinear(src, rows, cols, qx, qy)
		}
	}
}

// resampleAffine is resample without a displacement field, with the same
// bits as resampleField: each pixel's source point is the same expression
// (the row's a01·py and a11·py computed once, as the same products), and
// the same formula samples it. A point whose four neighbours all lie
// outside the source's ink box (the rows and columns holding a non-zero
// pixel) is background without being sampled: its non-zero neighbours, if
// any, have weight 0, so the formula gives +0 too. The rest are sampled
// inline from pad, src framed by a pixel of background (rows+2 by cols+2
// values, len(pad) at least that), so that a point within a pixel of the
// image's edge needs no bounds check, and without bilinear's shortcut for
// four zero neighbours (a branch that would go either way inside the box;
// the formula gives +0 there). On an MNIST digit about half the points
// fall outside the box.
func resampleAffine(dst []float32, src, pad []uint8, rows, cols int, w warp) {
	dst = dst[:rows*cols]
	src = src[:rows*cols]
	x0, x1, y0, y1 := inkBox(src, rows, cols)
	if x0 > x1 {
		clear(dst)
		return
	}
	pw := cols + 2
	pad = pad[:(rows+2)*pw]
	clear(pad[:pw])
	for y := 0; y < rows; y++ {
		row := pad[(y+1)*pw : (y+2)*pw]
		row[0], row[pw-1] = 0, 0
		copy(row[1:], src[y*cols:(y+1)*cols])
	}
	clear(pad[(rows+1)*pw:])
	// A sample is +0 unless lox < qx < hix and loy < qy < hiy (then some
	// neighbour with weight > 0 can lie in the box). Inside, qx > -1 and
	// qy > -1, so truncating qx+1 toward zero is floor(qx)+1: the column
	// in pad of the left neighbour.
	lox, hix := float64(x0)-1, float64(x1)+1
	loy, hiy := float64(y0)-1, float64(y1)+1
	cx, cy := float64(cols-1)/2, float64(rows-1)/2
	a00, a01, a10, a11 := w.inverse()
	for y := 0; y < rows; y++ {
		py := float64(y) - cy - w.shiftY
		b0, b1 := float64(a01*py), float64(a11*py)
		out := dst[y*cols : (y+1)*cols]
		for x := range out {
			px := float64(x) - cx - w.shiftX
			qx := float64(a00*px) + b0 + cx
			qy := float64(a10*px) + b1 + cy
			if !(qx > lox && qx < hix && qy > loy && qy < hiy) {
				out[x] = 0 // also NaN, as bilinear
				continue
			}
			px1, py1 := int(qx+1), int(qy+1) // in pad: floor + 1
			tx, ty := qx-float64(px1-1), qy-float64(py1-1)
			i := py1*pw + px1
			nb := pad[i : i+pw+2 : i+pw+2]
			v00, v01 := float64(nb[0]), float64(nb[1])
			v10, v11 := float64(nb[pw]), float64(nb[pw+1])
			out[x] = lerp2(v00, v01, v10, v11, tx, ty)
		}
	}
}

// inkBox returns the smallest box [x0, x1] × [y0, y1] holding every
// non-zero pixel of src, or x0 > x1 when there is none.
func inkBox(src []uint8, rows, cols int) (x0, x1, y0, y1 int) {
	x0, x1, y0, y1 = cols, -1, rows, -1
	for y := 0; y < rows; y++ {
		row := src[y*cols : (y+1)*cols]
		first := -1
		for x, v := range row {
			if v != 0 {
				first = x
				break
			}
		}
		if first < 0 {
			continue
		}
		last := first
		for x := len(row) - 1; x > first; x-- {
			if row[x] != 0 {
				last = x
				break
			}
		}
		x0, x1 = min(x0, first), max(x1, last)
		y0, y1 = min(y0, y), y
	}
	return x0, x1, y0, y1
}

func bilinear(src []uint8, rows, cols int, x, y float64) float32 {
	if !(x > -1 && x < float64(cols) && y > -1 && y < float64(rows)) {
		return 0 // also catches NaN
	}
	// x, y > -1 here, so truncating x+1 toward zero is floor(x)+1.
	x0, y0 := int(x+1)-1, int(y+1)-1
	tx, ty := x-float64(x0), y-float64(y0)
	var v00, v01, v10, v11 float64 // v<dy><dx>
	if x0 >= 0 && y0 >= 0 && x0+1 < cols && y0+1 < rows {
		i := y0*cols + x0
		b00, b01, b10, b11 := src[i], src[i+1], src[i+cols], src[i+cols+1]
		if b00|b01|b10|b11 == 0 {
			// The background (most of an MNIST image): every term below
			// is +0 (the weights are ≥ 0), and so is the result.
			return 0
		}
		v00, v01 = float64(b00), float64(b01)
		v10, v11 = float64(b10), float64(b11)
	} else {
		at := func(xx, yy int) float64 {
			if xx < 0 || yy < 0 || xx >= cols || yy >= rows {
				return 0
			}
			return float64(src[yy*cols+xx])
		}
		v00, v01, v10, v11 = at(x0, y0), at(x0+1, y0), at(x0, y0+1), at(x0+1, y0+1)
	}
	return lerp2(v00, v01, v10, v11, tx, ty)
}

// lerp2 is the bilinear formula over four byte values v<dy><dx> at fractions
// tx, ty, scaled to [0, 1] and clamped there (every product rounded before
// its add: the bits do not depend on FMA).
func lerp2(v00, v01, v10, v11, tx, ty float64) float32 {
	v := float64((1-ty)*(float64((1-tx)*v00)+float64(tx*v01))) + float64(ty*(float64((1-tx)*v10)+float64(tx*v11)))
	f := float32(v / 255)
	if f < 0 {
		f = 0
	} else if f > 1 {
		f = 1
	}
	return f
}

package tensor

import (
	"fmt"

	"github.com/rakam-ml/rakam/tensor/internal/vec"
)

// Direct1 is the geometry of a stride-1 convolution of one-channel images
// (a network's first layer) computed directly, without a patch matrix:
// im2col lowers such a layer to a product with a depth of KH·KW (9 or 25),
// a shape GEMM handles badly.
//
// Each image is first copied into a zero-padded plane of Hp = H + 2·Pad
// rows of Wp = W + 2·Pad values (PadImage; with Pad 0 the image is its own
// plane). Output position (r, c) then reads plane positions r·Wp + c +
// i·Wp + j for kernel taps (i, j), so in "padded-width" coordinates, where
// output (r, c) is at r·Wp + c, every tap is the same shift of the whole
// plane: a filter's output is KH·KW scaled, shifted copies of the plane
// added up, each one long vector operation over the span of
// Span() = (OH−1)·Wp + OW values. The span's columns OW..Wp−1 of each row
// are not outputs; Forward drops them, and WeightGrad and InputGrad set
// the output gradient to zero there so they contribute nothing.
//
// Every product is rounded before it is added (tensor/internal/vec's
// MulAddTaps, DotTaps and MulAdd, whose kernels take up to three kernel
// rows of up to eight taps at once), so the results have the same bits on
// every architecture and kernel path, and each output and each
// weight-gradient element is summed in an order fixed by the geometry
// alone. They differ in the last bits from the patch-matrix products
// (Gemm, GemmPatches).
//
// Weights are (OutC, KH, KW) row-major, the layout of a (OutC, 1, KH, KW)
// convolution weight; outputs and output gradients of one image are
// (OutC, OH, OW).
type Direct1 struct {
	H, W   int // image size
	KH, KW int // kernel size
	Pad    int // zero padding on every side
	OutC   int // filters
}

// dims validates the geometry and returns the padded width, the output
// size and the span; it panics on a programmer error.
func (d *Direct1) dims(name string) (wp, oh, ow, span int) {
	if d.H < 1 || d.W < 1 || d.KH < 1 || d.KW < 1 || d.Pad < 0 || d.OutC < 1 ||
		d.H+2*d.Pad < d.KH || d.W+2*d.Pad < d.KW {
		panic(fmt.Sprintf("tensor: Direct1.%s: bad geometry %dx%d image, kernel %dx%d, pad %d, %d filters", name, d.H, d.W, d.KH, d.KW, d.Pad, d.OutC))
	}
	wp = d.W + 2*d.Pad
	oh, ow = d.H+2*d.Pad-d.KH+1, wp-d.KW+1
	return wp, oh, ow, (oh-1)*wp + ow
}

// OutH and OutW return the output size.
func (d *Direct1) OutH() int { return ConvOut(d.H, d.KH, 1, d.Pad) }
func (d *Direct1) OutW() int { return ConvOut(d.W, d.KW, 1, d.Pad) }

// PlaneSize returns the values of one padded plane, (H+2·Pad)·(W+2·Pad).
func (d *Direct1) PlaneSize() int { return (d.H + 2*d.Pad) * (d.W + 2*d.Pad) }

// Span returns the length of the scratch Forward, WeightGrad and
// InputGrad take: (OH−1)·Wp + OW.
func (d *Direct1) Span() int {
	_, _, _, span := d.dims("Span")
	return span
}

func (d *Direct1) need(name, what string, s []float32, n int) {
	if len(s) < n {
		panic(fmt.Sprintf("tensor: Direct1.%s: %s has %d values, need %d", name, what, len(s), n))
	}
}

// PadImage copies the H×W image x into the padded plane xp (PlaneSize
// values) with zeros around it.
func (d *Direct1) PadImage(xp, x []float32) {
	wp, _, _, _ := d.dims("PadImage")
	d.need("PadImage", "x", x, d.H*d.W)
	d.need("PadImage", "xp", xp, d.PlaneSize())
	p := d.Pad
	clear(xp[:p*wp+p])
	for r := 0; r < d.H; r++ {
		row := xp[(p+r)*wp+p:]
		copy(row[:d.W], x[r*d.W:(r+1)*d.W])
		clear(row[d.W : d.W+2*p]) // this row's right border and the next one's left
	}
	clear(xp[(p+d.H)*wp+p : d.PlaneSize()])
}

// Forward sets y (OutC·OH·OW) to the convolution of one image, given as its
// padded plane xp, with the filters w (OutC·KH·KW) plus the biases b
// (OutC): y[o][r][c] = (Σ_(i,j) w[o][i][j]·xp[(r+i)·Wp + c+j]) + b[o],
// the taps added in row-major order from zero, each product rounded, the
// bias last. tmp is scratch of Span() values.
func (d *Direct1) Forward(y, xp, w, b, tmp []float32) {
	wp, oh, ow, span := d.dims("Forward")
	k := d.KH * d.KW
	d.need("Forward", "y", y, d.OutC*oh*ow)
	d.need("Forward", "xp", xp, d.PlaneSize())
	d.need("Forward", "w", w, d.OutC*k)
	d.need("Forward", "b", b, d.OutC)
	d.need("Forward", "tmp", tmp, span)
	t, ng := tmp[:span], d.groups()
	for o := 0; o < d.OutC; o++ {
		wo := w[o*k : (o+1)*k]
		for gi := 0; gi < ng; gi++ {
			g := d.group(gi, wp)
			// The first group starts t from +0.
			vec.MulAddTaps(t, xp, g.rows[:g.r], g.t, wo[g.w0:g.w0+g.r*g.t], gi == 0)
		}
		vec.RowsAddConst(y[o*oh*ow:(o+1)*oh*ow], t, oh, ow, ow, wp, b[o])
	}
}

// tapGroup is a group of taps the vec kernels take in one pass: r kernel
// rows of t consecutive taps, the first one tap w0 (i·KW + j in
// row-major order), row ii starting at plane offset rows[ii]. Either the
// rows are whole (t = KW) or the group is part of one row, so a group's
// taps are consecutive in row-major order, and the groups in index order
// cover all taps in that order.
type tapGroup struct {
	rows     [3]int
	r, t, w0 int
}

// groups returns the number of tap groups: whole rows, up to three and
// up to twelve taps at a time, for kernels up to eight wide; rows cut
// into pieces of up to eight taps for wider ones.
func (d *Direct1) groups() int {
	if d.KW <= 8 {
		per := min(3, 12/d.KW)
		return (d.KH + per - 1) / per
	}
	return d.KH * ((d.KW + 7) / 8)
}

// group returns tap group g (0 ≤ g < groups()) for planes wp wide.
func (d *Direct1) group(g, wp int) tapGroup {
	var tg tapGroup
	if d.KW <= 8 {
		per := min(3, 12/d.KW)
		i0 := g * per
		tg.r, tg.t, tg.w0 = min(per, d.KH-i0), d.KW, i0*d.KW
		for ii := 0; ii < tg.r; ii++ {
			tg.rows[ii] = (i0 + ii) * wp
		}
		return tg
	}
	pieces := (d.KW + 7) / 8
	i, j0 := g/pieces, 8*(g%pieces)
	tg.r, tg.t, tg.w0 = 1, min(8, d.KW-j0), i*d.KW+j0
	tg.rows[0] = i*wp + j0
	return tg
}

// spread copies one channel's output gradient g (OH·OW) into the span t in
// padded-width coordinates. It leaves the columns that are not outputs as
// they were: callers clear t once, and those columns stay zero.
func spread(t, g []float32, wp, oh, ow int) {
	vec.RowsCopy(t, g, oh, ow, wp, ow)
}

// WeightGrad adds one image's contribution to the gradients of filters
// [o0, o1): dw[o][i][j] += Σ_(r,c) dy[o][r][c]·xp[(r+i)·Wp + c+j] and,
// unless db is nil, db[o] += Σ_(r,c) dy[o][r][c]. dy (OutC·OH·OW) is the
// image's output gradient and xp its padded plane. Each sum is
// DotSum's over the span (eight lanes, each product rounded; db the plain
// sum of the same order), so calling WeightGrad for the images of a batch
// in a fixed order gives the same bits whatever range of filters each call
// covers. tmp is scratch of Span() values.
func (d *Direct1) WeightGrad(dw, db, dy, xp, tmp []float32, o0, o1 int) {
	wp, oh, ow, span := d.dims("WeightGrad")
	k := d.KH * d.KW
	if o0 < 0 || o1 > d.OutC || o0 > o1 {
		panic(fmt.Sprintf("tensor: Direct1.WeightGrad: filters [%d, %d) outside [0, %d)", o0, o1, d.OutC))
	}
	d.need("WeightGrad", "dw", dw, d.OutC*k)
	if db != nil {
		d.need("WeightGrad", "db", db, d.OutC)
	}
	d.need("WeightGrad", "dy", dy, d.OutC*oh*ow)
	d.need("WeightGrad", "xp", xp, d.PlaneSize())
	d.need("WeightGrad", "tmp", tmp, span)
	t, ng := tmp[:span], d.groups()
	clear(t)
	for o := o0; o < o1; o++ {
		spread(t, dy[o*oh*ow:(o+1)*oh*ow], wp, oh, ow)
		for gi := 0; gi < ng; gi++ {
			g := d.group(gi, wp)
			var out [12]float32
			n := g.r * g.t
			sum := vec.DotTaps(t, xp, g.rows[:g.r], g.t, out[:n])
			dwo := dw[o*k+g.w0 : o*k+g.w0+n]
			for q, v := range out[:n] {
				dwo[q] += v
			}
			if gi == 0 && db != nil {
				db[o] += sum
			}
		}
	}
}

// InputGrad sets dx (H·W) to one image's input gradient given its output
// gradient dy (OutC·OH·OW) and the filters w (OutC·KH·KW):
// dx[y][x] = Σ_o Σ_(i,j) w[o][i][j]·dy[o][y+Pad−i][x+Pad−j] over the
// outputs that exist, added filter by filter and tap by tap in row-major
// order (each product rounded). tmp is scratch of Span() values and dxp of
// PlaneSize() values.
func (d *Direct1) InputGrad(dx, dy, w, tmp, dxp []float32) {
	wp, oh, ow, span := d.dims("InputGrad")
	k := d.KH * d.KW
	d.need("InputGrad", "dx", dx, d.H*d.W)
	d.need("InputGrad", "dy", dy, d.OutC*oh*ow)
	d.need("InputGrad", "w", w, d.OutC*k)
	d.need("InputGrad", "tmp", tmp, span)
	d.need("InputGrad", "dxp", dxp, d.PlaneSize())
	t, plane := tmp[:span], dxp[:d.PlaneSize()]
	clear(t)
	clear(plane)
	for o := 0; o < d.OutC; o++ {
		spread(t, dy[o*oh*ow:(o+1)*oh*ow], wp, oh, ow)
		for i := 0; i < d.KH; i++ {
			for j := 0; j < d.KW; j++ {
				off := i*wp + j
				vec.MulAdd(w[o*k+i*d.KW+j], t, plane[off:off+span])
			}
		}
	}
	p := d.Pad
	for r := 0; r < d.H; r++ {
		copy(dx[r*d.W:(r+1)*d.W], plane[(p+r)*wp+p:])
	}
}
